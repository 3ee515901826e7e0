// Block-style YAML for plain JSON data (what `build` writes). Strings are always double-quoted
// with JSON escapes, which YAML reads back exactly, so no scalar can be mistaken for another type.
// js-yaml's general-purpose dumper spent most of `build` on style decisions we never need.
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
/** strings that JSON.stringify leaves alone apart from the quotes (no escapes, no surrogates) */
// eslint-disable-next-line no-control-regex -- control characters are exactly what JSON escapes
const NO_ESCAPES = /^[^"\\\u0000-\u001f\ud800-\udfff]*$/;

const quote = (s: string) => (NO_ESCAPES.test(s) ? `"${s}"` : JSON.stringify(s));

const key = (k: string) => (PLAIN_KEY.test(k) ? k : quote(k));

const isScalar = (v: unknown) =>
  v === null || v === undefined || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

function scalar(v: unknown): string {
  if (typeof v === 'string') return quote(v);
  return v === null || v === undefined ? 'null' : String(v);
}

// Output lines are collected in one array per file and joined once: the result is one flat string.
// (Concatenating as we go leaves a rope of millions of small nodes, which `build` keeps alive until
// the files are written.)

/** `head` (`key:` or `-`) and the value after it: a scalar on the same line, or a block below. */
function entry(head: string, v: unknown, indent: string, out: string[]): void {
  if (isScalar(v)) out.push(`${head} ${scalar(v)}\n`);
  else if (Array.isArray(v)) {
    if (v.length === 0) out.push(`${head} []\n`);
    else {
      out.push(`${head}\n`);
      sequence(v, `${indent}  `, out);
    }
  } else {
    const keys = Object.keys(v as object);
    if (keys.length === 0 && typeof v === 'object') out.push(`${head} {}\n`);
    else {
      out.push(`${head}\n`);
      mapping(v as Record<string, unknown>, keys, `${indent}  `, undefined, out);
    }
  }
}

function sequence(v: readonly unknown[], indent: string, out: string[]): void {
  for (const x of v) {
    // a sequence directly inside a sequence goes in flow form (JSON): l7mp's YAML reader (yamljs)
    // misreads the block form "- - a"
    if (Array.isArray(x)) out.push(`${indent}- ${JSON.stringify(x)}\n`);
    else if (isScalar(x)) out.push(`${indent}- ${scalar(x)}\n`);
    else {
      const keys = Object.keys(x as object);
      // the first member of a mapping item goes on the dash line
      if (keys.length === 0 && typeof x === 'object') out.push(`${indent}- {}\n`);
      else mapping(x as Record<string, unknown>, keys, `${indent}  `, `${indent}- `, out);
    }
  }
}

/** A mapping at `indent`; as a sequence item (`lead` = the dash) its first line starts with `lead`. */
function mapping(
  v: Record<string, unknown>,
  keys: readonly string[],
  indent: string,
  lead: string | undefined,
  out: string[],
): void {
  let pre = lead ?? indent;
  for (const k of keys) {
    const x = v[k];
    if (x === undefined) continue;
    entry(`${pre}${key(k)}:`, x, indent, out);
    pre = indent;
  }
  // a sequence item with nothing to write still gets its dash (as the line-splicing original did)
  if (pre === lead) out.push(lead);
}

export function toYaml(v: Record<string, unknown>): string {
  const out: string[] = [];
  mapping(v, Object.keys(v), '', undefined, out);
  return out.join('');
}
