// `l7mp-compile graph [DIR]`: the per-proxy pipelines as DOT or Mermaid.
import type { Command } from 'commander';
import { compileRepo } from '../../runtime/compile-repo.ts';
import { renderDiagnostics } from '../render/diagnostics.ts';
import { renderDot, renderMermaid } from '../render/graph-diagram.ts';
import type { Io } from './common.ts';

export function registerGraph(program: Command, io: Io): void {
  program
    .command('graph')
    .description('print the compiled per-proxy pipelines as Graphviz DOT or Mermaid')
    .argument('[dir]', 'repository directory', '.')
    .option('-f, --format <format>', 'dot|mermaid', 'dot')
    .option('-p, --proxy <name>', 'only this proxy')
    .action(async (dir: string, opts: { format: string; proxy?: string }) => {
      const res = await compileRepo(dir);
      if (res.hasErrors) {
        io.err(
          renderDiagnostics('text', res.diagnostics, { sources: (f) => res.sources.get(f), color: io.color }),
        );
        io.exit(1);
        return;
      }
      const graphs = res.graphs.filter((g) => !opts.proxy || g.proxy === opts.proxy);
      if (opts.format !== 'dot' && opts.format !== 'mermaid') {
        io.err(`error: unknown format "${opts.format}" (expected dot or mermaid)\n`);
        io.exit(1);
        return;
      }
      io.out(opts.format === 'dot' ? renderDot(graphs) : renderMermaid(graphs));
      io.exit(0);
    });
}
