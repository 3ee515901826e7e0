// Stage 2, parse (YAML): text → one RawObject per document. js-yaml is the fast path; positions are
// not tracked here (the locate step finds them from paths only when a diagnostic needs one).
import yaml from 'js-yaml';
import type { CompileLimits } from '../host.ts';
import type { Diagnostics, PathSegment } from '../diagnostics/diagnostic.ts';
import type { RawObject } from '../model/raw.ts';
import type { TextFile } from './load.ts';
import { parseYamlCarefully } from './parse-yaml-careful.ts';

type Walk =
  { kind: 'ok' } | { kind: 'too-many'; path: PathSegment[] } | { kind: 'too-deep'; path: PathSegment[] };

/**
 * Counts nodes with aliases expanded (an alias bomb is a small DAG that expands exponentially).
 * Runs over every document, so it allocates nothing on the way down: one shared path stack, a
 * boolean result, and the path is copied only when a limit is hit.
 */
function walk(value: unknown, limits: CompileLimits): Walk {
  let budget = limits.maxDocumentNodes;
  const path: PathSegment[] = [];
  let failed: Walk = { kind: 'ok' };
  const visit = (v: unknown, depth: number): boolean => {
    if (--budget < 0) {
      failed = { kind: 'too-many', path: [...path] };
      return false;
    }
    if (v === null || typeof v !== 'object') return true;
    if (depth >= limits.maxDepth) {
      failed = { kind: 'too-deep', path: [...path] };
      return false;
    }
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        path.push(i);
        if (!visit(v[i], depth + 1)) return false;
        path.pop();
      }
    } else {
      const o = v as Record<string, unknown>;
      for (const k of Object.keys(o)) {
        path.push(k);
        if (!visit(o[k], depth + 1)) return false;
        path.pop();
      }
    }
    return true;
  };
  visit(value, 0);
  return failed;
}

export function parseYaml(file: TextFile, limits: CompileLimits, diags: Diagnostics): RawObject[] {
  let docs: unknown[];
  try {
    docs = yaml.loadAll(file.text, undefined, { schema: yaml.CORE_SCHEMA, filename: file.path });
  } catch (e) {
    if (!(e instanceof yaml.YAMLException) && !(e instanceof RangeError)) throw e;
    // js-yaml stops at the first error anywhere in the file: find out which documents are broken
    // and where, and keep the good ones.
    return parseYamlCarefully(file, limits, diags, e);
  }
  return checkDocuments(file, docs, limits, diags);
}

/** Alias expansion, depth and shape checks on parsed documents; the good ones become RawObjects. */
export function checkDocuments(
  file: TextFile,
  docs: readonly unknown[],
  limits: CompileLimits,
  diags: Diagnostics,
  skip?: ReadonlySet<number>,
): RawObject[] {
  const out: RawObject[] = [];
  docs.forEach((doc, document) => {
    if (skip?.has(document)) return;
    if (doc === null || doc === undefined) return; // an empty document between `---` lines
    const w = walk(doc, limits);
    if (w.kind === 'too-many') {
      diags.add({
        code: 'L7C2003',
        file: file.path,
        document,
        path: w.path,
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
    out.push({
      src: { file: file.path, document, base: [], format: 'yaml' },
      value: doc as Record<string, unknown>,
    });
  });
  return out;
}
