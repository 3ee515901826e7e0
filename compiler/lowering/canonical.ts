// Canonical JSON (sorted keys) and short content hashes for content-addressed names.
import { createHash } from 'node:crypto';

export function canonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v) ?? 'null';
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const keys = Object.keys(v as object)
    .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
}

export function contentHash(v: unknown, length = 8): string {
  return createHash('sha256').update(canonical(v)).digest('hex').slice(0, length);
}
