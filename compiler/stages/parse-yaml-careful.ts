// The slow path of YAML parsing, taken only for a file js-yaml rejected: the `yaml` package parses
// each document separately, so one broken document does not hide the good ones, and its error
// positions are refined to what a user must fix (the unclosed bracket or quote, the alias).
import { LineCounter, parseAllDocuments } from 'yaml';
import type { CompileLimits } from '../host.ts';
import type { Diagnostics } from '../diagnostics/diagnostic.ts';
import type { RawObject } from '../model/raw.ts';
import type { TextFile } from './load.ts';
import { positionAt } from '../source/text-position.ts';
import { firstTooDeep, unclosedOpener } from '../source/nesting.ts';
import { checkDocuments } from './parse-yaml.ts';

const UNCLOSED = /quote|must be sufficiently indented and end with|Missing closing|Unexpected end of flow/i;

const INDENTATION = ['BAD_INDENT', 'MULTILINE_IMPLICIT_KEY', 'BLOCK_AS_IMPLICIT_KEY'];

/**
 * Indentation errors are reported where the parser noticed them (often the value before the
 * misindented line); point at the first character of the misindented line instead.
 */
function misindentedLine(text: string, offset: number, nextLine: boolean): number {
  let start = text.lastIndexOf('\n', offset - 1) + 1;
  if (nextLine) {
    const nl = text.indexOf('\n', offset);
    if (nl < 0) return offset;
    start = nl + 1;
    while (
      start < text.length &&
      text.slice(start, text.indexOf('\n', start) < 0 ? undefined : text.indexOf('\n', start)).trim() === ''
    ) {
      const next = text.indexOf('\n', start);
      if (next < 0) break;
      start = next + 1;
    }
  }
  let i = start;
  while (text[i] === ' ' || text[i] === '\t') i++;
  return i;
}

export function parseYamlCarefully(
  file: TextFile,
  limits: CompileLimits,
  diags: Diagnostics,
  first: Error,
): RawObject[] {
  const at = (offset: number) => {
    const p = positionAt(file.text, offset);
    return { start: p, end: p };
  };
  const tooDeep = () => {
    diags.add({
      code: 'L7C2004',
      file: file.path,
      span: at(firstTooDeep(file.text, limits.maxDepth)),
      message: `document is nested more than ${limits.maxDepth} levels deep`,
    });
    return [];
  };
  if (first instanceof RangeError || /maxDepth|nesting/.test(first.message)) return tooDeep();

  const lines = new LineCounter();
  let docs: ReturnType<typeof parseAllDocuments>;
  try {
    docs = parseAllDocuments(file.text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  } catch (e) {
    if (e instanceof RangeError) return tooDeep();
    throw e;
  }
  const list = Array.isArray(docs) ? docs : [];
  const values: unknown[] = [];
  const bad = new Set<number>();
  list.forEach((doc, i) => {
    const err = doc.errors[0];
    if (err) {
      bad.add(i);
      const text = err.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
      const offset = UNCLOSED.test(err.message)
        ? (unclosedOpener(file.text, err.pos[0]) ?? err.pos[0])
        : INDENTATION.includes(err.code)
          ? misindentedLine(file.text, err.pos[0], err.code !== 'BAD_INDENT')
          : err.pos[0];
      const duplicate = err.code === 'DUPLICATE_KEY';
      diags.add({
        code: duplicate ? 'L7C2002' : 'L7C2001',
        file: file.path,
        span: at(offset),
        message: duplicate ? 'duplicate key in a mapping' : `YAML syntax error: ${text}`,
      });
      return;
    }
    try {
      values[i] = doc.toJS({ maxAliasCount: 100 });
    } catch (e) {
      bad.add(i);
      const msg = (e as Error).message;
      const alias = /alias[^:]*:\s*(\S+)/i.exec(msg)?.[1];
      const offset = alias ? file.text.indexOf(`*${alias}`, doc.range?.[0] ?? 0) : (doc.range?.[0] ?? 0);
      const bomb = /alias count/i.test(msg);
      diags.add({
        code: bomb ? 'L7C2003' : 'L7C2001',
        file: file.path,
        span: at(Math.max(0, offset)),
        message: bomb
          ? 'YAML aliases expand too far (more than 100 alias uses)'
          : `YAML error: ${msg.split('\n')[0]}`,
      });
    }
  });
  if (bad.size === 0) {
    // js-yaml rejected what `yaml` accepts: report js-yaml's own position
    const mark = (first as { mark?: { line: number; column: number } }).mark;
    const p = { line: (mark?.line ?? 0) + 1, column: (mark?.column ?? 0) + 1 };
    diags.add({
      code: 'L7C2001',
      file: file.path,
      span: { start: p, end: p },
      message: `YAML syntax error: ${(first as { reason?: string }).reason ?? first.message}`,
    });
    return [];
  }
  return checkDocuments(file, values, limits, diags, bad);
}
