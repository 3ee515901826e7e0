// `l7mp-compile validate [DIR]`: the CI gate. Exit 0 without errors (warnings allowed unless
// --fail-on-warn), 1 otherwise.
import type { Command } from 'commander';
import { compileRepo } from '../../runtime/compile-repo.ts';
import { diagnosticFormats, isDiagnosticFormat, renderDiagnostics } from '../render/diagnostics.ts';
import { limitOptions, type Io } from './common.ts';

export function registerValidate(program: Command, io: Io): void {
  program
    .command('validate')
    .description(
      'check a repository the way the proxy would; print every problem with its code and file:line:col',
    )
    .argument('[dir]', 'repository directory', '.')
    .option('-f, --format <format>', `output format: ${diagnosticFormats.join('|')}`, 'text')
    .option('--fail-on-warn', 'exit 1 on warnings too', false)
    .option('--max-file-size <bytes>', 'largest file accepted, in bytes', String(8 * 1024 * 1024))
    .action(async (dir: string, opts: { format: string; failOnWarn: boolean; maxFileSize: string }) => {
      if (!isDiagnosticFormat(opts.format)) {
        io.err(`error: unknown format "${opts.format}" (expected ${diagnosticFormats.join(', ')})\n`);
        io.exit(1);
        return;
      }
      const res = await compileRepo(dir, limitOptions(opts));
      io.out(
        renderDiagnostics(opts.format, res.diagnostics, {
          sources: (f) => res.sources.get(f),
          files: res.files,
          color: io.color,
          failOnWarn: opts.failOnWarn,
        }),
      );
      const warned = res.diagnostics.some((d) => d.severity === 'warning');
      io.exit(res.hasErrors || (opts.failOnWarn && warned) ? 1 : 0);
    });
}
