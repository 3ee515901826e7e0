// Canonical JSON (sorted keys, undefined members dropped) and short content hashes for
// content-addressed names. Hot in lowering: written without intermediate arrays.
import { createHash } from 'node:crypto';

export function canonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return v === undefined ? 'null' : JSON.stringify(v);
  if (Array.isArray(v)) {
    let s = '[';
    for (let i = 0; i < v.length; i++) s += (i ? ',' : '') + canonical(v[i]);
    return s + ']';
  }
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o).sort();
  let s = '{';
  let first = true;
  for (const k of keys) {
    const x = o[k];
    if (x === undefined) continue;
    s += (first ? '' : ',') + JSON.stringify(k) + ':' + canonical(x);
    first = false;
  }
  return s + '}';
}

/** A deep copy with every object's keys sorted; normalise applies it to all user-written blobs. */
export function sortKeys<T>(v: T): T {
  if (v === null || typeof v !== 'object') return v;
  if (Array.isArray(v)) return v.map(sortKeys) as T;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v).sort()) out[k] = sortKeys((v as Record<string, unknown>)[k]);
  return out as T;
}

/**
 * Short content hash for names. Hashes JSON.stringify, which is canonical here because every
 * user-written blob is key-sorted by normalise and the compiler builds its own objects in a fixed
 * key order (a test pins names against reordered input).
 */
export function contentHash(v: unknown, length = 8): string {
  return createHash('sha256')
    .update(JSON.stringify(v) ?? 'null')
    .digest('hex')
    .slice(0, length);
}
