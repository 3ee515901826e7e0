// `l7mp-compile plan [DIR]`: the smallest safe change per live proxy, like `terraform plan`.
// Exit: 0 no changes, 2 changes (with --detailed-exitcode), 1 error.
import type { Command } from 'commander';
import { compileRepo } from '../../runtime/compile-repo.ts';
import { planRepo } from '../../runtime/reconcile/plan-repo.ts';
import { writePlanFile } from '../../runtime/reconcile/plan-file.ts';
import { proxyHasChanges, summarize } from '../../runtime/plan/summary.ts';
import { renderDiagnostics } from '../render/diagnostics.ts';
import { renderPlanText } from '../render/plan-text.ts';
import { renderPlanJson } from '../render/plan-json.ts';
import type { Io } from './common.ts';

export interface PlanOptions {
  out?: string;
  json: boolean;
  detailedExitcode: boolean;
  maxDisruptedSessions?: string;
  proxy?: string[];
  offload: boolean;
}

export function parseLimit(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  const n = Number(s);
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

export function registerPlan(program: Command, io: Io): void {
  program
    .command('plan')
    .description('show the smallest safe change that makes every live proxy match the repository')
    .argument('[dir]', 'repository directory', '.')
    .option('-o, --out <file>', 'save the plan, pinned to the live state it saw, for `apply FILE`')
    .option('--json', 'print the plan as versioned JSON', false)
    .option('--detailed-exitcode', 'exit 0 with no changes, 2 with changes, 1 on errors', false)
    .option('--max-disrupted-sessions <n>', 'refuse a plan that would end more live sessions')
    .option('-p, --proxy <name...>', 'only these proxies')
    .option('--no-offload', 'leave the kernel offload of proxies with `spec.offload` out of the plan')
    .action(async (dir: string, opts: PlanOptions) => {
      const res = await compileRepo(dir);
      if (res.hasErrors) {
        io.err(
          renderDiagnostics('text', res.diagnostics, { sources: (f) => res.sources.get(f), color: io.color }),
        );
        io.err('plan: the configuration has errors; nothing was planned\n');
        return io.exit(1);
      }
      const { plan } = await planRepo(res, {
        ...(opts.proxy ? { only: opts.proxy } : {}),
        offload: opts.offload,
      });
      const summary = summarize(plan);
      io.out(opts.json ? renderPlanJson(plan) : renderPlanText(plan, { color: io.color }));
      const limit = parseLimit(opts.maxDisruptedSessions);
      if (limit !== undefined && summary.sessionsCut > limit) {
        io.err(
          `plan: would end ${summary.sessionsCut} live sessions, more than --max-disrupted-sessions ${limit}\n`,
        );
        return io.exit(1);
      }
      if (opts.out) {
        await writePlanFile(opts.out, { plan, desired: res.graphs, proxies: res.model.proxies });
        io.err(`saved the plan to ${opts.out}; apply it with: l7mp-compile apply ${opts.out}\n`);
      }
      if (plan.unreachable.length) return io.exit(1);
      const offloadErrors = plan.proxies.filter((p) => p.offload?.error);
      if (offloadErrors.length) {
        io.err(
          `plan: the kernel offload of ${offloadErrors.map((p) => p.proxy).join(', ')} cannot be planned (see above); \`--no-offload\` plans the REST calls alone\n`,
        );
        return io.exit(1);
      }
      const changes = plan.proxies.some(proxyHasChanges);
      io.exit(opts.detailedExitcode && changes ? 2 : 0);
    });
}
