// GitHub Actions workflow commands (annotations): one `::error|warning|notice ...::message` per line.
// Escaping follows @actions/core: data escapes % CR LF; property values also escape : and ,.
import { formatPath, sortDiagnostics, type Diagnostic } from '../../compiler/diagnostics/diagnostic.ts';
import type { Severity } from '../../compiler/diagnostics/catalogue.ts';

const COMMAND: Record<Severity, string> = { error: 'error', warning: 'warning', info: 'notice' };

export function escapeData(s: string): string {
  return s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

export function renderGithubOne(d: Diagnostic): string {
  const props: [string, string | number][] = [];
  if (d.file !== undefined) {
    props.push(['file', d.file]);
    if (d.span) {
      props.push(['line', d.span.start.line], ['col', d.span.start.column]);
      props.push(['endLine', d.span.end.line], ['endColumn', d.span.end.column]);
    }
  }
  props.push(['title', d.code]);
  const path = formatPath(d.path);
  const text = [d.message, ...(path ? [`at ${path}`] : []), ...(d.hint ? [`hint: ${d.hint}`] : [])].join(
    '\n',
  );
  const p = props.map(([k, v]) => `${k}=${escapeProperty(String(v))}`).join(',');
  return `::${COMMAND[d.severity]} ${p}::${escapeData(text)}`;
}

export function renderGithub(diags: readonly Diagnostic[]): string {
  return sortDiagnostics(diags)
    .map((d) => renderGithubOne(d) + '\n')
    .join('');
}
