// Canonical JSON (sorted keys, undefined members dropped) and short content hashes for
// content-addressed names. Hot in lowering: written without intermediate arrays.
import * as crypto from 'node:crypto';

/** Object.keys, sorted. Most objects are already in order (normalise sorts user blobs, the compiler
 * builds its own in order): checking first skips the copy `sort` makes. */
function sortedKeys(o: object): string[] {
  const keys = Object.keys(o);
  for (let i = 1; i < keys.length; i++) if (keys[i - 1]! > keys[i]!) return keys.sort();
  return keys;
}

export function canonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return v === undefined ? 'null' : JSON.stringify(v);
  if (Array.isArray(v)) {
    let s = '[';
    for (let i = 0; i < v.length; i++) s += (i ? ',' : '') + canonical(v[i]);
    return s + ']';
  }
  const o = v as Record<string, unknown>;
  const keys = sortedKeys(o);
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
  for (const k of sortedKeys(v)) out[k] = sortKeys((v as Record<string, unknown>)[k]);
  return out as T;
}

/** sha256 hex of a string. `crypto.hash` (Node >= 20.12) is a one-shot call without a Hash object:
 * about twice as fast for the small inputs lowering hashes tens of thousands of times. */
const sha256hex: (s: string) => string =
  typeof crypto.hash === 'function'
    ? (s) => crypto.hash('sha256', s, 'hex')
    : (s) => crypto.createHash('sha256').update(s).digest('hex');

/**
 * Short content hash for names. Hashes JSON.stringify, which is canonical here because every
 * user-written blob is key-sorted by normalise and the compiler builds its own objects in a fixed
 * key order (a test pins names against reordered input).
 */
export function contentHash(v: unknown, length = 8): string {
  return sha256hex(JSON.stringify(v) ?? 'null').slice(0, length);
}
