// Diagnostics are data (DESIGN §2): a stable code, severity, where, and what. Renderers work from
// this form only. `path` is the YAML/JSON path inside the document, e.g. ["spec", "rules", 0].
import { catalogue, type Code, type Severity } from './catalogue.ts';

export type PathSegment = string | number;

export interface Position {
  /** 1-based */ readonly line: number;
  /** 1-based, in characters */ readonly column: number;
}

export interface Span {
  readonly start: Position;
  readonly end: Position;
}

export interface Diagnostic {
  readonly code: Code;
  readonly severity: Severity;
  readonly message: string;
  readonly file?: string;
  /** 0-based index of the YAML document in a multi-document file */
  readonly document?: number;
  readonly path?: readonly PathSegment[];
  readonly span?: Span;
  readonly hint?: string;
  /** `key`: the problem is the key at `path` itself (an unknown field, a bad protocol key), not its value */
  readonly target?: 'key';
}

export interface DiagnosticInput {
  code: Code;
  message: string;
  file?: string;
  document?: number;
  path?: readonly PathSegment[];
  span?: Span;
  hint?: string;
  target?: 'key';
  /** overrides the catalogue's default severity (e.g. --fail-on-warn does not use this) */
  severity?: Severity;
}

export function diagnostic(d: DiagnosticInput): Diagnostic {
  const { severity, ...rest } = d;
  return { severity: severity ?? catalogue[d.code].severity, ...rest };
}

/** Collects diagnostics across stages. Stages append and keep going; only bugs throw. */
export class Diagnostics {
  readonly items: Diagnostic[] = [];

  add(d: DiagnosticInput): void {
    this.items.push(diagnostic(d));
  }

  append(ds: Iterable<Diagnostic>): void {
    for (const d of ds) this.items.push(d);
  }

  get hasErrors(): boolean {
    return this.items.some((d) => d.severity === 'error');
  }

  count(severity: Severity): number {
    return this.items.filter((d) => d.severity === severity).length;
  }
}

export function formatPath(path: readonly PathSegment[] | undefined): string {
  if (!path || path.length === 0) return '';
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** Stable order: by file, then position, then code. Renderers and golden tests rely on it. */
export function sortDiagnostics(ds: readonly Diagnostic[]): Diagnostic[] {
  return [...ds].sort(
    (a, b) =>
      (a.file ?? '').localeCompare(b.file ?? '') ||
      (a.span?.start.line ?? 0) - (b.span?.start.line ?? 0) ||
      (a.span?.start.column ?? 0) - (b.span?.start.column ?? 0) ||
      a.code.localeCompare(b.code) ||
      a.message.localeCompare(b.message),
  );
}
