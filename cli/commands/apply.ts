// `l7mp-compile apply [DIR | PLANFILE]`: executes a plan. From a directory it plans first and asks
// for confirmation on a terminal (--auto-approve otherwise); a saved plan is applied exactly, after
// checking that no proxy changed since it was made. `--ref REV` applies a Git revision of DIR (a
// rollback) through the same plan, and records the revision on the proxies that converged.
import type { Command } from 'commander';
import { createInterface } from 'node:readline/promises';
import { compileRepo } from '../../runtime/compile-repo.ts';
import { clientsFor, planRepo } from '../../runtime/reconcile/plan-repo.ts';
import { isPlanFile, readPlanFile } from '../../runtime/reconcile/plan-file.ts';
import { applyPlan, type ApplyEvent } from '../../runtime/reconcile/apply.ts';
import type { Plan } from '../../runtime/reconcile/types.ts';
import type { ProxyGraph } from '../../compiler/model/graph.ts';
import type { ProxyClient } from '../../runtime/proxy/client.ts';
import { proxyHasChanges, summarize } from '../../runtime/plan/summary.ts';
import { renderDiagnostics } from '../render/diagnostics.ts';
import { renderPlanText } from '../render/plan-text.ts';
import { applySucceeded, renderApplyResults } from '../render/apply-results.ts';
import { parseLimit } from './plan.ts';
import { readGitRef } from '../../runtime/sources/git-ref.ts';
import { compileFiles } from '../../runtime/sources/compile-snapshot.ts';
import type { Snapshot } from '../../runtime/sources/source.ts';
import { recordApplied } from '../../runtime/watch/revision-marker.ts';
import type { Io } from './common.ts';

async function confirm(io: Io): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const a = await rl.question('Apply these changes? Only "yes" is accepted: ');
    return a.trim() === 'yes';
  } finally {
    rl.close();
    void io;
  }
}

export function progress(io: Io): ((e: ApplyEvent) => void) | undefined {
  if (!io.color) return undefined; // only on a terminal
  return (e) => {
    if (e.type === 'call')
      io.err(`  ${e.proxy}: [${e.index + 1}/${e.total}] ${e.call.action} ${e.call.kind} ${e.call.name}\n`);
    if (e.type === 'undo') io.err(`  ${e.proxy}: undo ${e.call.method} ${e.call.path}\n`);
  };
}

export function registerApply(program: Command, io: Io): void {
  program
    .command('apply')
    .description('make the live proxies match the repository (or execute a saved plan exactly)')
    .argument('[dir-or-plan]', 'repository directory, or a plan saved with `plan --out`', '.')
    .option('--auto-approve', 'do not ask for confirmation (required without a terminal)', false)
    .option('--max-disrupted-sessions <n>', 'refuse a plan that would end more live sessions')
    .option('-p, --proxy <name...>', 'only these proxies')
    .option('--concurrency <n>', 'proxies changed in parallel', '8')
    .option('--no-offload', 'leave the kernel offload of proxies with `spec.offload` alone')
    .option(
      '--ref <rev>',
      'apply this Git revision (commit, tag, branch, HEAD~1) of the repository at DIR: a rollback',
    )
    .action(
      async (
        target: string,
        opts: {
          autoApprove: boolean;
          maxDisruptedSessions?: string;
          proxy?: string[];
          concurrency: string;
          ref?: string;
          offload: boolean;
        },
      ) => {
        let plan: Plan;
        let desired: readonly ProxyGraph[];
        let clientFor: (p: string) => ProxyClient;
        let snap: Snapshot | undefined;
        const saved = !opts.ref && (await isPlanFile(target));
        if (opts.ref) {
          try {
            snap = await readGitRef(target, opts.ref);
          } catch (e) {
            io.err(`apply: ${e instanceof Error ? e.message : String(e)}\n`);
            return io.exit(1);
          }
          io.out(`revision ${snap.revision} (${opts.ref})${snap.subject ? `: ${snap.subject}` : ''}\n`);
        }
        if (saved) {
          const f = await readPlanFile(target);
          ({ plan, desired } = f);
          clientFor = clientsFor(f.proxies);
        } else {
          const res = snap ? await compileFiles(snap.files) : await compileRepo(target);
          if (res.hasErrors) {
            io.err(
              renderDiagnostics('text', res.diagnostics, {
                sources: (f) => res.sources.get(f),
                color: io.color,
              }),
            );
            io.err('apply: the configuration has errors; nothing was changed\n');
            return io.exit(1);
          }
          const r = await planRepo(res, {
            ...(opts.proxy ? { only: opts.proxy } : {}),
            offload: opts.offload,
          });
          ({ plan, clientFor } = r);
          if (snap) plan = { ...plan, revision: snap.revision };
          desired = res.graphs;
          io.out(renderPlanText(plan, { color: io.color }));
        }
        const summary = summarize(plan);
        const limit = parseLimit(opts.maxDisruptedSessions);
        if (limit !== undefined && summary.sessionsCut > limit) {
          io.err(
            `apply: the plan would end ${summary.sessionsCut} live sessions, more than --max-disrupted-sessions ${limit}; nothing was changed\n`,
          );
          return io.exit(1);
        }
        const changes = plan.proxies.some(proxyHasChanges);
        if (!saved && changes && !opts.autoApprove) {
          if (!process.stdin.isTTY) {
            io.err(
              'apply: refusing to change live proxies without confirmation: run on a terminal or pass --auto-approve\n',
            );
            return io.exit(1);
          }
          if (!(await confirm(io))) {
            io.err('apply: cancelled\n');
            return io.exit(1);
          }
        }
        const onEvent = progress(io);
        const results = await applyPlan(plan, {
          clientFor,
          desired,
          concurrency: Number(opts.concurrency) || 8,
          ...(onEvent ? { onEvent } : {}),
        });
        io.out(renderApplyResults(results));
        if (snap) {
          const converged = results
            .filter((r) => r.status === 'applied' || r.status === 'unchanged')
            .map((r) => r.proxy);
          for (const r of await recordApplied(clientFor, converged, snap.revision))
            io.out(
              r.error
                ? `  ${r.proxy}: could not record revision ${snap.revision}: ${r.error}\n`
                : `  ${r.proxy}: now at revision ${snap.revision}\n`,
            );
        }
        io.exit(applySucceeded(results) ? 0 : 1);
      },
    );
}
