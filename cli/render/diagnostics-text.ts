// Human-readable diagnostics in the style of rustc/tsc: a header, the location, a source excerpt with
// the span underlined, the YAML path and the hint. Works from the Diagnostic data only.
// Columns are 1-based UTF-16 code units; a span's end is exclusive. Tabs show as 4 spaces; wide
// (East Asian) characters are counted as one cell.
import { formatPath, sortDiagnostics, type Diagnostic } from '../../compiler/diagnostics/diagnostic.ts';
import type { Severity } from '../../compiler/diagnostics/catalogue.ts';

export type SourceLookup = (file: string) => string | undefined;
export interface TextOptions {
  readonly color: boolean;
}

const TAB_WIDTH = 4;
const MAX_WIDTH = 100; // source cells shown per excerpt line
const LEAD = 20; // cells kept left of the span when a long line is cut
const MAX_LINES = 6; // excerpt lines of a multi-line span before eliding the middle

const LABEL: Record<Severity, string> = { error: 'error', warning: 'warning', info: 'note' };
const SGR: Record<Severity, string> = { error: '1;31', warning: '1;33', info: '1;36' };
const BLUE = '1;34';
const BOLD = '1';

type Paint = (sgr: string, s: string) => string;

/** Control characters in user text would corrupt a terminal or log; show them as U+FFFD. */
function clean(s: string): string {
  return s
    .replace(/\r\n?/g, '\n')
    .replace(/\t/g, ' ')
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '\uFFFD'); // eslint-disable-line no-control-regex
}

/** Splits a line into display cells; at[i] is the cell where UTF-16 unit i starts. */
function cellsOf(line: string): { cells: string[]; at: number[] } {
  const cells: string[] = [];
  const at: number[] = [];
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    at.push(cells.length);
    if (c === 9) {
      for (let k = 0; k < TAB_WIDTH; k++) cells.push(' ');
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < line.length) {
      at.push(cells.length);
      cells.push(line.slice(i, i + 2));
      i++;
    } else if (c < 0x20 || (c >= 0x7f && c < 0xa0)) {
      cells.push('\uFFFD');
    } else {
      cells.push(line[i]!);
    }
  }
  at.push(cells.length);
  return { cells, at };
}

interface Marked {
  readonly no: number;
  readonly text: string;
  readonly underline: string; // spaces then carets, '' when nothing to mark
}

/** One excerpt line, cut around the span when long, with its underline [from, to) in cells. */
function markLine(no: number, line: string, fromCol: number | null, toCol: number | null): Marked {
  const { cells, at } = cellsOf(line);
  const cell = (col: number): number => at[Math.min(Math.max(col - 1, 0), line.length)]!;
  const firstText = cells.findIndex((c) => c !== ' ');
  const from = fromCol === null ? (firstText < 0 ? cells.length : firstText) : cell(fromCol);
  const to = toCol === null ? cells.length : cell(toCol);
  const blank = firstText < 0 && fromCol === null; // a blank middle line of a multi-line span
  let ws = 0;
  let we = cells.length;
  if (cells.length > MAX_WIDTH) {
    ws = Math.min(Math.max(from - LEAD, 0), cells.length - MAX_WIDTH);
    we = ws + MAX_WIDTH;
  }
  const pre = ws > 0 ? '...' : '';
  const post = we < cells.length ? '...' : '';
  const text = (pre + cells.slice(ws, we).join('') + post).trimEnd();
  if (blank) return { no, text, underline: '' };
  const us = Math.max(from, ws);
  const ue = Math.max(us + 1, Math.min(to, we));
  return { no, text, underline: ' '.repeat(pre.length + us - ws) + '^'.repeat(ue - us) };
}

function excerpt(d: Diagnostic, source: string): Marked[] {
  const span = d.span!;
  const lines = source.split(/\r?\n/);
  const startLine = span.start.line;
  let endLine = span.end.line;
  let endCol: number | null = span.end.column;
  if (endLine < startLine || (endLine === startLine && endCol < span.start.column)) {
    endLine = startLine; // malformed: mark the start only
    endCol = span.start.column;
  } else if (endLine > startLine && endCol <= 1) {
    endLine -= 1; // an exclusive end at the start of a line ends on the line before
    endCol = null;
  }
  if (startLine < 1 || startLine > lines.length) return []; // stale or unknown source
  endLine = Math.min(endLine, lines.length);
  if (endLine === startLine) return [markLine(startLine, lines[startLine - 1]!, span.start.column, endCol)];
  const out: Marked[] = [];
  for (let no = startLine; no <= endLine; no++) {
    const first = no === startLine;
    const last = no === endLine;
    out.push(markLine(no, lines[no - 1]!, first ? span.start.column : null, last ? endCol : null));
  }
  if (out.length <= MAX_LINES) return out;
  return [...out.slice(0, 3), { no: 0, text: '', underline: '' }, ...out.slice(-2)];
}

function renderOne(d: Diagnostic, sources: SourceLookup, paint: Paint): string {
  const sev = SGR[d.severity];
  const head = `${LABEL[d.severity]}[${d.code}]`;
  const msgLines = clean(d.message).split('\n');
  const out = [
    paint(sev, head) + paint(BOLD, `: ${msgLines[0]}`),
    ...msgLines.slice(1).map((l) => ' '.repeat(head.length + 2) + paint(BOLD, l)),
  ];
  const source = d.file !== undefined && d.span ? sources(d.file) : undefined;
  const lines = source !== undefined ? excerpt(d, source) : [];
  const w = Math.max(1, String(Math.max(d.span?.end.line ?? 0, d.span?.start.line ?? 0)).length);
  const pad = ' '.repeat(w);
  if (d.file !== undefined) {
    let loc = clean(d.file);
    if (d.span) loc += `:${d.span.start.line}:${d.span.start.column}`;
    else if (d.document !== undefined) loc += ` (YAML document #${d.document + 1})`;
    out.push(`${pad}${paint(BLUE, '-->')} ${loc}`);
  }
  if (lines.length > 0) {
    out.push(`${pad} ${paint(BLUE, '|')}`);
    for (const m of lines) {
      if (m.no === 0) {
        out.push(paint(BLUE, '...'));
        continue;
      }
      out.push(`${paint(BLUE, String(m.no).padStart(w))} ${paint(BLUE, '|')} ${m.text}`.trimEnd());
      if (m.underline) out.push(`${pad} ${paint(BLUE, '|')} ${paint(sev, m.underline)}`);
    }
  }
  const note = (label: string, text: string): void => {
    const [first, ...rest] = clean(text).split('\n');
    out.push(`${pad} ${paint(BLUE, '=')} ${paint(BOLD, label + ':')} ${first}`);
    for (const l of rest) out.push(`${pad}   ${' '.repeat(label.length + 2)}${l}`);
  };
  const path = formatPath(d.path);
  if (path) note('path', path);
  if (d.hint) note('hint', d.hint);
  return out.join('\n');
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function renderText(diags: readonly Diagnostic[], sources: SourceLookup, opts: TextOptions): string {
  const paint: Paint = (sgr, s) => (opts.color && s ? `\x1b[${sgr}m${s}\x1b[0m` : s);
  const blocks = sortDiagnostics(diags).map((d) => renderOne(d, sources, paint) + '\n');
  const count = (s: Severity): number => diags.filter((d) => d.severity === s).length;
  const [e, w, n] = [count('error'), count('warning'), count('info')];
  let summary = `${paint(e ? SGR.error : BOLD, plural(e, 'error'))}, ${paint(w ? SGR.warning : BOLD, plural(w, 'warning'))}`;
  if (n) summary += `, ${plural(n, 'note')}`;
  return [...blocks, summary].join('\n') + '\n';
}
