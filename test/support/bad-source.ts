// Building blocks of the bad-input corpus (test/support/bad-cases.ts): the valid inventory every case
// starts from, and `‸` markers that say where a diagnostic must point, so positions are written next
// to the text they point into instead of being counted by hand.
//
// Where a diagnostic should point (the position a user wants to be sent to):
//   - a scalar value at fault (a bad name, a wrong port, a dangling reference): the value's first
//     character (the opening quote of a quoted scalar);
//   - a key at fault (an unknown field, a duplicate key): the key;
//   - a whole mapping or list at fault, or a field missing from a mapping: a flow collection's opening
//     `{` or `[` (the value's own first character); for a block collection, whose first character is
//     already its first child's, the key that introduces it; for a list item, the item's first
//     character; for a document root, its first token;
//   - nesting too deep: the first token at the first level past the limit (root = level 1);
//   - an alias bomb: the alias during whose expansion the node count passes the limit;
//   - a syntax error: the token that cannot be parsed; for an unclosed bracket or quote, the opening
//     one (the parser only notices at the end of the file, the user needs the start).

export interface Expected {
  readonly code: string;
  readonly file: string;
  /** 1-based */ readonly line: number;
  /** 1-based, in characters */ readonly column: number;
}

export type FileContent = string | Uint8Array | (() => Uint8Array);

export interface BadCase {
  readonly name: string;
  readonly files: Readonly<Record<string, FileContent>>;
  readonly expect: readonly Expected[];
  /** the case has .cue files: compile with the real CUE evaluator */
  readonly cue?: boolean;
  /** codes that must NOT appear (a cascade the case exists to rule out) */
  readonly forbid?: readonly string[];
}

export const MARK = '‸';

/** Text with `‸` markers → the text without them and each marker's 1-based line:column. */
export function marked(text: string): { text: string; at: { line: number; column: number }[] } {
  const at: { line: number; column: number }[] = [];
  let out = '';
  let line = 1;
  let column = 1;
  for (const ch of text) {
    if (ch === MARK) {
      at.push({ line, column });
      continue;
    }
    out += ch;
    if (ch === '\n') {
      line++;
      column = 1;
    } else column += ch.length; // columns count UTF-16 units, like the compiler's positions
  }
  return { text: out, at };
}

/** [code, file, marker index in that file (default 0)] */
export type At = readonly [code: string, file: string, marker?: number];

/**
 * One case: `files` (with `‸` markers in string contents) plus the inventory, and the expected
 * diagnostics by marker. `inventory: false` leaves the inventory out.
 */
export function bad(
  name: string,
  files: Record<string, FileContent>,
  expect: readonly At[],
  opts: { inventory?: boolean; cue?: boolean; forbid?: string[]; extra?: readonly Expected[] } = {},
): BadCase {
  const out: Record<string, FileContent> = opts.inventory === false ? {} : { 'inventory.yaml': INVENTORY };
  const markers = new Map<string, { line: number; column: number }[]>();
  for (const [path, content] of Object.entries(files)) {
    if (typeof content === 'string') {
      const m = marked(content);
      out[path] = m.text;
      markers.set(path, m.at);
    } else out[path] = content;
  }
  const expected: Expected[] = expect.map(([code, file, i = 0]) => {
    const p = markers.get(file)?.[i];
    if (!p) throw new Error(`bad case "${name}": no marker ${i} in ${file}`);
    return { code, file, ...p };
  });
  return {
    name,
    files: out,
    expect: [...expected, ...(opts.extra ?? [])],
    ...(opts.cue ? { cue: true } : {}),
    ...(opts.forbid ? { forbid: opts.forbid } : {}),
  };
}

/** Bytes of a string where every char is one byte (Latin-1). */
export function latin1(text: string): Uint8Array {
  return Uint8Array.from([...text].map((c) => c.charCodeAt(0) & 0xff));
}

export function bytesOf(c: FileContent): Uint8Array {
  if (typeof c === 'string') return new TextEncoder().encode(c);
  return typeof c === 'function' ? c() : c;
}

// The quickstart's inventory (examples/quickstart/inventory.yaml), copied so that the corpus does not
// move when the example changes: proxies `gateway` (REST on 18001, app=l7mp-ingress) and `sidecar`
// (REST on 18002, app=worker, backs echo-svc), and the naked UDP service `udp-echo` on 15055.
export const INVENTORY = `apiVersion: l7mp.io/v1
kind: Proxy
metadata:
  name: gateway
  labels: {app: l7mp-ingress}
spec:
  admin: {url: "http://127.0.0.1:18001"}
  address: 127.0.0.1
---
apiVersion: l7mp.io/v1
kind: Proxy
metadata:
  name: sidecar
  labels: {app: worker}
spec:
  admin: {url: "http://127.0.0.1:18002"}
  address: 127.0.0.1
  services: [echo-svc]
---
apiVersion: l7mp.io/v1
kind: Service
metadata:
  name: udp-echo
spec:
  protocol: UDP
  port: 15055
  endpoints: [{address: 127.0.0.1}]
`;

// The quickstart's worker VirtualService (examples/quickstart/worker.yaml): UDP 15054 on the sidecar,
// one rule routing to udp-echo.
export const WORKER = `apiVersion: l7mp.io/v1
kind: VirtualService
metadata:
  name: worker
spec:
  selector:
    matchService: echo-svc
  listener:
    spec:
      UDP: {port: 15054}
    rules:
      - action:
          route:
            destination: udp-echo
            retry: {retry_on: always, num_retries: 3, timeout: 1000}
`;
