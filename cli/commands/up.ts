// `l7mp-compile up [DIR]`: the embedded default. Starts every loopback Proxy of the repo as a real
// l7mp process, plans and applies the repo to them, prints the status and keeps running until
// Ctrl-C, then stops them cleanly.
import type { Command } from 'commander';
import { compileRepo } from '../../runtime/compile-repo.ts';
import { startEmbedded } from '../../runtime/embedded.ts';
import { planRepo } from '../../runtime/reconcile/plan-repo.ts';
import { applyPlan } from '../../runtime/reconcile/apply.ts';
import { renderDiagnostics } from '../render/diagnostics.ts';
import { renderPlanText } from '../render/plan-text.ts';
import { applySucceeded, renderApplyResults } from '../render/apply-results.ts';
import type { Io } from './common.ts';

export function registerUp(program: Command, io: Io): void {
  program
    .command('up')
    .description(
      "start the repo's loopback proxies as local l7mp processes, apply the repo, run until Ctrl-C",
    )
    .argument('[dir]', 'repository directory', '.')
    .option('--exit', 'stop the proxies and exit after applying (for scripts)', false)
    .action(async (dir: string, opts: { exit: boolean }) => {
      const res = await compileRepo(dir);
      if (res.hasErrors) {
        io.err(
          renderDiagnostics('text', res.diagnostics, { sources: (f) => res.sources.get(f), color: io.color }),
        );
        return io.exit(1);
      }
      const emb = await startEmbedded(res.model.proxies);
      try {
        for (const s of emb.started)
          io.out(`started l7mp proxy ${s.proxy} (pid ${s.local.pid}) at ${s.local.adminUrl}\n`);
        for (const s of emb.skipped) io.out(`not started: ${s} (its admin URL is not on loopback)\n`);
        const { plan, clientFor } = await planRepo(res);
        io.out(`\n${renderPlanText(plan, { color: io.color })}\n`);
        const results = await applyPlan(plan, { clientFor, desired: res.graphs });
        io.out(renderApplyResults(results));
        if (!applySucceeded(results)) return io.exit(1);
        if (opts.exit) return io.exit(0);
        io.out('\nrunning; press Ctrl-C to stop the proxies\n');
        await new Promise<void>((resolve) => {
          process.once('SIGINT', resolve);
          process.once('SIGTERM', resolve);
        });
        io.exit(0);
      } finally {
        await emb.stop();
        io.out('stopped the proxies\n');
      }
    });
}
