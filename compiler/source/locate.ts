// Paths → line:column spans, computed only when a diagnostic needs one. The `yaml` package keeps
// exact source ranges; it is slower than js-yaml, so it runs only on files that have diagnostics.
import { LineCounter, parseAllDocuments, isMap, isSeq, isScalar, type Node, type Document } from 'yaml';
import type { Diagnostic, PathSegment, Span } from '../diagnostics/diagnostic.ts';

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

  /** The span of the node at `path` (or of its key when `key` is set); the deepest existing node otherwise. */
  locate(file: string, document: number, path: readonly PathSegment[], key = false): Span | undefined {
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
        range = last && key ? keyRange : (rangeOf(node) ?? keyRange);
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
  fill(ds: readonly Diagnostic[], isYaml: (file: string) => boolean): Diagnostic[] {
    return ds.map((d) => {
      if (d.span || !d.file || !isYaml(d.file) || d.document === undefined) return d;
      const span = this.locate(d.file, d.document, d.path ?? [], d.code === 'L7C3005');
      return span ? { ...d, span } : d;
    });
  }
}

function rangeOf(n: unknown): [number, number] | undefined {
  const r = (n as Node | undefined)?.range;
  return r ? [r[0], r[1]] : undefined;
}
