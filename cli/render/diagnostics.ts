// Picks a diagnostics renderer by output format (the CLI's --format).
import type { Diagnostic } from '../../compiler/diagnostics/diagnostic.ts';
import { renderJson } from './diagnostics-json.ts';
import { renderText, type SourceLookup } from './diagnostics-text.ts';
import { renderGithub } from './diagnostics-github.ts';
import { renderSarif } from './diagnostics-sarif.ts';
import { renderJunit } from './diagnostics-junit.ts';

export const diagnosticFormats = ['text', 'json', 'github', 'sarif', 'junit'] as const;
export type DiagnosticFormat = (typeof diagnosticFormats)[number];

export interface RenderContext {
  /** the text of a file, for source excerpts (text format only) */
  readonly sources: SourceLookup;
  /** every file that was checked (JUnit: one test case each) */
  readonly files: readonly string[];
  /** ANSI colours (text format only) */
  readonly color: boolean;
  /** JUnit: warnings become failures */
  readonly failOnWarn: boolean;
}

export function isDiagnosticFormat(s: string): s is DiagnosticFormat {
  return (diagnosticFormats as readonly string[]).includes(s);
}

export function renderDiagnostics(
  format: DiagnosticFormat,
  diags: readonly Diagnostic[],
  ctx: Partial<RenderContext> = {},
): string {
  switch (format) {
    case 'text':
      return renderText(diags, ctx.sources ?? (() => undefined), { color: ctx.color ?? false });
    case 'json':
      return renderJson(diags);
    case 'github':
      return renderGithub(diags);
    case 'sarif':
      return renderSarif(diags);
    case 'junit':
      return renderJunit(diags, ctx.files ?? [], { failOnWarn: ctx.failOnWarn ?? false });
  }
}
