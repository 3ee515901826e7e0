// Paths → line:column spans, computed only when a diagnostic needs one. The `yaml` package keeps
// exact source ranges; it is slower than js-yaml, so it runs only on files that have diagnostics.
import { LineCounter, parseAllDocuments, isMap, isSeq, isScalar, type Node, type Document } from 'yaml';
import type { Diagnostic, PathSegment, Span } from '../diagnostics/diagnostic.ts';
import { locateCueSpan } from './cue-locate.ts';

interface Parsed {
  docs: Document.Parsed[];
  lines: LineCounter;
}

export class Locator {
  private readonly cache = new Map<string, Parsed | null>();
  constructor(private readonly texts: (file: string) => string | undefined) {}

  private parsed(file: string): Parsed | null {
    if (!this.cache.has(file)) {
      const text = this.texts(file);
      if (text === undefined) this.cache.set(file, null);
      else {
        const lines = new LineCounter();
        const docs = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: false }) as Document.Parsed[];
        this.cache.set(file, Array.isArray(docs) ? { docs, lines } : null);
      }
    }
    return this.cache.get(file) ?? null;
  }

  /**
   * The span of the node at `path`; the deepest existing node otherwise. `key`: the key that holds
   * it (an unknown field); `node`: the node itself even when it is a block collection (which is
   * otherwise pointed at by its key, since its own range starts at its first child).
   */
  locate(
    file: string,
    document: number,
    path: readonly PathSegment[],
    mode: 'value' | 'key' | 'node' = 'value',
  ): Span | undefined {
    const key = mode === 'key';
    const p = this.parsed(file);
    const doc = p?.docs[document];
    if (!p || !doc) return undefined;
    let node: unknown = doc.contents;
    let range: [number, number] | undefined = rangeOf(node);
    for (let i = 0; i < path.length; i++) {
      const seg = path[i]!;
      const last = i === path.length - 1;
      if (isMap(node)) {
        const pair = node.items.find((it) => isScalar(it.key) && String(it.key.value) === String(seg));
        if (!pair) break;
        const keyRange = rangeOf(pair.key);
        node = pair.value;
        // a block collection is pointed at by its key (its own range starts at its first child)
        const block = mode !== 'node' && (isMap(node) || isSeq(node)) && !node.flow;
        range = (last && key) || block ? keyRange : (rangeOf(node) ?? keyRange);
      } else if (isSeq(node) && typeof seg === 'number') {
        node = node.items[seg];
        if (node === undefined) break;
        range = rangeOf(node) ?? range;
      } else break;
    }
    if (!range) return undefined;
    const start = p.lines.linePos(range[0]);
    const end = p.lines.linePos(Math.max(range[0], range[1]));
    return { start: { line: start.line, column: start.col }, end: { line: end.line, column: end.col } };
  }

  /** Fills in spans for diagnostics that have a file and a path but no span. */
  fill(ds: readonly Diagnostic[], formatOf: (file: string) => 'yaml' | 'cue' | undefined): Diagnostic[] {
    return ds.map((d) => {
      if (d.span || !d.file) return d;
      const mode =
        d.code === 'L7C3005' || d.target === 'key' ? 'key' : d.code === 'L7C2004' ? 'node' : 'value';
      let span: Span | undefined;
      if (formatOf(d.file) === 'yaml' && d.document !== undefined)
        span = this.locate(d.file, d.document, d.path ?? [], mode);
      else if (formatOf(d.file) === 'cue') {
        const text = this.texts(d.file);
        span =
          text === undefined
            ? undefined
            : (locateCueSpan(text, d.path ?? [], mode === 'key') ?? {
                start: { line: 1, column: 1 },
                end: { line: 1, column: 1 },
              });
      }
      return span ? { ...d, span } : d;
    });
  }
}

function rangeOf(n: unknown): [number, number] | undefined {
  const r = (n as Node | undefined)?.range;
  return r ? [r[0], r[1]] : undefined;
}
