// Field doc comments straight from the CUE sources. CUE's OpenAPI encoder (v0.4) drops the doc
// comment of a field whose value is a bare reference (`port: #Port`), so the generator puts them
// back from here. This is a line scanner, not a CUE parser: it relies on the house style of the
// files in schemas/ (one field per line, `// doc` lines right above it, a struct's `{` at the end
// of its field's line and its `}` on a line of its own).

/** Dotted path (`UDPListenerFields.connect.port`) → doc comment text (lines joined by "\n"). */
export type CueDocs = Map<string, string>;

const FIELD = /^\s*(#?[A-Za-z_][A-Za-z0-9_]*)\??:\s*(.*)$/;

function netBraces(code: string): number {
  const stripped = code.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/\/\/.*$/, '');
  let n = 0;
  for (const ch of stripped) {
    if (ch === '{') n++;
    else if (ch === '}') n--;
  }
  return n;
}

export function extractCueDocs(sources: readonly string[]): CueDocs {
  const docs: CueDocs = new Map();
  for (const source of sources) {
    const stack: string[] = [];
    let pending: string[] = [];
    for (const line of source.split('\n')) {
      const comment = /^\s*\/\/ ?(.*)$/.exec(line);
      if (comment) {
        pending.push(comment[1]!);
        continue;
      }
      const field = FIELD.exec(line);
      if (field && !line.trimStart().startsWith('package')) {
        const label = field[1]!.replace(/^#/, '');
        const path = [...stack, label].join('.');
        if (pending.length > 0) docs.set(path, pending.join('\n'));
        const net = netBraces(field[2]!);
        if (net > 1) throw new Error(`cue-docs: more than one struct opened on one line: ${line.trim()}`);
        if (net === 1) stack.push(label);
        if (net < 0) stack.splice(stack.length + net, -net);
      } else {
        const net = netBraces(line);
        if (net > 0) throw new Error(`cue-docs: struct opened without a field label: ${line.trim()}`);
        if (net < 0) stack.splice(stack.length + net, -net);
      }
      pending = [];
    }
    if (stack.length !== 0) throw new Error(`cue-docs: unbalanced braces (open: ${stack.join('.')})`);
  }
  return docs;
}
