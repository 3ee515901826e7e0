// The fields that differ between two versions of an object ("spec.port: 15053 → 15063"), for the
// reasons in a plan and for renderers showing a replacement. Objects are walked key by key; any
// other value (arrays included) is compared whole, canonically.
import { canonical } from '../../compiler/lowering/canonical.ts';

export interface FieldChange {
  /** dotted path, e.g. `spec.port`, `retry.num_retries` */
  readonly path: string;
  /** absent on one side: `undefined` */
  readonly old: unknown;
  readonly new: unknown;
}

const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** Changed leaves of `a` → `b`, sorted by path; top-level keys in `ignore` are skipped. */
export function fieldChanges(a: unknown, b: unknown, ignore: readonly string[] = ['name']): FieldChange[] {
  const out: FieldChange[] = [];
  const walk = (x: unknown, y: unknown, path: string) => {
    if (isRecord(x) && isRecord(y)) {
      const keys = [...new Set([...Object.keys(x), ...Object.keys(y)])].sort();
      for (const k of keys) {
        if (path === '' && ignore.includes(k)) continue;
        walk(x[k], y[k], path ? `${path}.${k}` : k);
      }
    } else if (canonical(x) !== canonical(y)) {
      out.push({ path, old: x, new: y });
    }
  };
  walk(a, b, '');
  return out;
}
