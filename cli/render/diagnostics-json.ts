// Versioned JSON form of diagnostics: the machine-readable form every other renderer mirrors.
// Key order is fixed and absent values are `null`, so consumers (and golden files) can rely on it.
import { formatPath, sortDiagnostics, type Diagnostic } from '../../compiler/diagnostics/diagnostic.ts';

export interface DiagnosticSummary {
  readonly errors: number;
  readonly warnings: number;
}

export interface JsonDiagnostic {
  code: string;
  severity: string;
  message: string;
  file: string | null;
  /** 0-based index of the YAML document in a multi-document file */
  document: number | null;
  line: number | null;
  column: number | null;
  end_line: number | null;
  end_column: number | null;
  path: string | null;
  hint: string | null;
}

export interface JsonDiagnosticsDocument {
  format_version: '1';
  diagnostics: JsonDiagnostic[];
  summary: DiagnosticSummary;
}

export function summarize(diags: readonly Diagnostic[]): DiagnosticSummary {
  let errors = 0;
  let warnings = 0;
  for (const d of diags) {
    if (d.severity === 'error') errors++;
    else if (d.severity === 'warning') warnings++;
  }
  return { errors, warnings };
}

export function toJsonDiagnostic(d: Diagnostic): JsonDiagnostic {
  return {
    code: d.code,
    severity: d.severity,
    message: d.message,
    file: d.file ?? null,
    document: d.document ?? null,
    line: d.span?.start.line ?? null,
    column: d.span?.start.column ?? null,
    end_line: d.span?.end.line ?? null,
    end_column: d.span?.end.column ?? null,
    path: formatPath(d.path) || null,
    hint: d.hint ?? null,
  };
}

export function toJsonDocument(
  diags: readonly Diagnostic[],
  summary?: DiagnosticSummary,
): JsonDiagnosticsDocument {
  const s = summary ?? summarize(diags);
  return {
    format_version: '1',
    diagnostics: sortDiagnostics(diags).map(toJsonDiagnostic),
    summary: { errors: s.errors, warnings: s.warnings },
  };
}

export function renderJson(diags: readonly Diagnostic[], summary?: DiagnosticSummary): string {
  return JSON.stringify(toJsonDocument(diags, summary), null, 2) + '\n';
}
