// Stage 2, parse (YAML): text → one RawObject per document. js-yaml is the fast path; positions are
// not tracked here (the locate step finds them from paths only when a diagnostic needs one).
import yaml from 'js-yaml';
import type { CompileLimits } from '../host.ts';
import type { Diagnostics, PathSegment } from '../diagnostics/diagnostic.ts';
import type { RawObject } from '../model/raw.ts';
import type { TextFile } from './load.ts';
import { positionAt } from '../source/text-position.ts';

type Walk = { kind: 'ok' } | { kind: 'too-many'; path: PathSegment[] } | { kind: 'too-deep'; path: PathSegment[] };

/** Counts nodes with aliases expanded (an alias bomb is a small DAG that expands exponentially). */
function walk(value: unknown, limits: CompileLimits): Walk {
  let budget = limits.maxDocumentNodes;
  const path: PathSegment[] = [];
  const visit = (v: unknown, depth: number): Walk => {
    if (--budget < 0) return { kind: 'too-many', path: [...path] };
    if (v === null || typeof v !== 'object') return { kind: 'ok' };
    if (depth > limits.maxDepth) return { kind: 'too-deep', path: [...path] };
    const entries: [PathSegment, unknown][] = Array.isArray(v) ? v.map((x, i) => [i, x]) : Object.entries(v);
    for (const [k, x] of entries) {
      path.push(k);
      const r = visit(x, depth + 1);
      path.pop();
      if (r.kind !== 'ok') return r;
    }
    return { kind: 'ok' };
  };
  return visit(value, 0);
}

/** Where flow/block nesting first exceeds the limit; used when the parser itself overflows. */
function deepestOffset(text: string, maxDepth: number): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '[' || c === '{') {
      if (++depth > maxDepth) return i;
    } else if (c === ']' || c === '}') depth--;
  }
  return 0;
}

export function parseYaml(file: TextFile, limits: CompileLimits, diags: Diagnostics): RawObject[] {
  let docs: unknown[];
  try {
    docs = yaml.loadAll(file.text, undefined, { schema: yaml.CORE_SCHEMA, filename: file.path });
  } catch (e) {
    if (e instanceof yaml.YAMLException) {
      const line = (e.mark?.line ?? 0) + 1;
      const column = (e.mark?.column ?? 0) + 1;
      const duplicate = /duplicated mapping key/.test(e.reason);
      diags.add({
        code: duplicate ? 'L7C2002' : 'L7C2001',
        file: file.path,
        span: { start: { line, column }, end: { line, column } },
        message: duplicate ? 'duplicate key in a mapping' : `YAML syntax error: ${e.reason}`,
      });
      return [];
    }
    if (e instanceof RangeError) {
      const p = positionAt(file.text, deepestOffset(file.text, limits.maxDepth));
      diags.add({
        code: 'L7C2004',
        file: file.path,
        span: { start: p, end: p },
        message: `document is nested more than ${limits.maxDepth} levels deep`,
      });
      return [];
    }
    throw e;
  }
  const out: RawObject[] = [];
  docs.forEach((doc, document) => {
    if (doc === null || doc === undefined) return; // an empty document between `---` lines
    const w = walk(doc, limits);
    if (w.kind === 'too-many') {
      diags.add({
        code: 'L7C2003',
        file: file.path,
        document,
        path: w.path.slice(0, 4),
        message: `document expands to more than ${limits.maxDocumentNodes} nodes once aliases are expanded`,
        hint: 'aliases (*name) that refer to aliases multiply; write the values out or use fewer levels',
      });
      return;
    }
    if (w.kind === 'too-deep') {
      diags.add({
        code: 'L7C2004',
        file: file.path,
        document,
        path: w.path,
        message: `document is nested more than ${limits.maxDepth} levels deep`,
      });
      return;
    }
    if (typeof doc !== 'object' || Array.isArray(doc)) {
      diags.add({
        code: 'L7C2005',
        file: file.path,
        document,
        path: [],
        message: `a document must be a mapping with kind, metadata and spec, not ${Array.isArray(doc) ? 'a list' : `a ${typeof doc}`}`,
      });
      return;
    }
    out.push({ src: { file: file.path, document, base: [], format: 'yaml' }, value: doc as Record<string, unknown> });
  });
  return out;
}
