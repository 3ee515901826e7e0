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

export function contentHash(v: unknown, length = 8): string {
  return createHash('sha256').update(canonical(v)).digest('hex').slice(0, length);
}
