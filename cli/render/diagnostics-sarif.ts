// SARIF 2.1.0 (for GitHub code scanning and other SARIF viewers): one run, one rule per code used.
// Columns are UTF-16 code units (SARIF's default columnKind); region end columns are exclusive.
import { formatPath, sortDiagnostics, type Diagnostic } from '../../compiler/diagnostics/diagnostic.ts';
import { catalogue, type Code, type Severity } from '../../compiler/diagnostics/catalogue.ts';

const SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = {
  error: 'error',
  warning: 'warning',
  info: 'note',
};

/** A relative file path as a URI reference: `/` separators, each segment percent-encoded. */
export function fileUri(file: string): string {
  return file.replace(/\\/g, '/').split('/').map(encodeURIComponent).join('/');
}

function result(d: Diagnostic, ruleIndex: number): Record<string, unknown> {
  const path = formatPath(d.path);
  const text = d.hint ? `${d.message}\nhint: ${d.hint}` : d.message;
  const out: Record<string, unknown> = {
    ruleId: d.code,
    ruleIndex,
    level: LEVEL[d.severity],
    message: { text },
  };
  if (d.file !== undefined) {
    const physicalLocation: Record<string, unknown> = { artifactLocation: { uri: fileUri(d.file) } };
    if (d.span) {
      const { start, end } = d.span;
      physicalLocation.region = {
        startLine: start.line,
        startColumn: start.column,
        endLine: end.line,
        endColumn: end.column,
      };
    }
    const location: Record<string, unknown> = { physicalLocation };
    if (path) location.logicalLocations = [{ fullyQualifiedName: path, kind: 'member' }];
    out.locations = [location];
  }
  if (path || d.document !== undefined) {
    out.properties = {
      ...(path ? { path } : {}),
      ...(d.document !== undefined ? { document: d.document } : {}),
    };
  }
  return out;
}

export function toSarif(diags: readonly Diagnostic[]): Record<string, unknown> {
  const sorted = sortDiagnostics(diags);
  const codes = [...new Set(sorted.map((d) => d.code))].sort() as Code[];
  const index = new Map(codes.map((c, i) => [c, i]));
  const rules = codes.map((code) => ({
    id: code,
    name: code,
    shortDescription: { text: catalogue[code].title },
    defaultConfiguration: { level: LEVEL[catalogue[code].severity] },
  }));
  return {
    $schema: SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'l7mp-compile', rules } },
        columnKind: 'utf16CodeUnits',
        results: sorted.map((d) => result(d, index.get(d.code)!)),
      },
    ],
  };
}

export function renderSarif(diags: readonly Diagnostic[]): string {
  return JSON.stringify(toSarif(diags), null, 2) + '\n';
}
