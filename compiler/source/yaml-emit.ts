// Block-style YAML for plain JSON data (what `build` writes). Strings are always double-quoted
// with JSON escapes, which YAML reads back exactly, so no scalar can be mistaken for another type.
// js-yaml's general-purpose dumper spent most of `build` on style decisions we never need.
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

const key = (k: string) => (PLAIN_KEY.test(k) ? k : JSON.stringify(k));

function scalar(v: unknown): string | undefined {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v) && v.length === 0) return '[]';
  if (typeof v === 'object' && Object.keys(v).length === 0) return '{}';
  return undefined;
}

function emit(v: unknown, indent: string, out: string[]): void {
  if (Array.isArray(v)) {
    for (const x of v) {
      // a sequence directly inside a sequence goes in flow form (JSON): l7mp's YAML reader (yamljs)
      // misreads the block form "- - a"
      const s = Array.isArray(x) ? JSON.stringify(x) : scalar(x);
      if (s !== undefined) out.push(`${indent}- ${s}\n`);
      else {
        // first member of a mapping item goes on the dash line
        const inner: string[] = [];
        emit(x, `${indent}  `, inner);
        out.push(`${indent}- ${inner.join('').slice(indent.length + 2)}`);
      }
    }
    return;
  }
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (x === undefined) continue;
    const s = scalar(x);
    if (s !== undefined) out.push(`${indent}${key(k)}: ${s}\n`);
    else {
      out.push(`${indent}${key(k)}:\n`);
      emit(x, `${indent}  `, out);
    }
  }
}

export function toYaml(v: Record<string, unknown>): string {
  const out: string[] = [];
  emit(v, '', out);
  return out.join('');
}
