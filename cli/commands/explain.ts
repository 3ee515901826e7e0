// `l7mp-compile explain [CODE]`: what a diagnostic code means (or the whole catalogue).
import type { Command } from 'commander';
import { catalogue, type Code } from '../../compiler/diagnostics/catalogue.ts';
import { catalogueMarkdown } from '../render/catalogue-markdown.ts';
import type { Io } from './common.ts';

export function registerExplain(program: Command, io: Io): void {
  program
    .command('explain')
    .description('explain a diagnostic code, or list them all')
    .argument('[code]', 'a code such as L7C4002')
    .option('--markdown', 'print the whole catalogue as Markdown (docs/diagnostics.md)', false)
    .action((code: string | undefined, opts: { markdown: boolean }) => {
      if (opts.markdown || !code) {
        io.out(
          opts.markdown
            ? catalogueMarkdown()
            : Object.entries(catalogue)
                .map(([c, e]) => `${c}  ${e.severity.padEnd(7)}  ${e.title}`)
                .join('\n') + '\n',
        );
        io.exit(0);
        return;
      }
      const e = catalogue[code.toUpperCase() as Code];
      if (!e) {
        io.err(`error: unknown code "${code}"; \`l7mp-compile explain\` lists them all\n`);
        io.exit(1);
        return;
      }
      io.out(`${code.toUpperCase()} (${e.severity}): ${e.title}\n`);
      io.exit(0);
    });
}
