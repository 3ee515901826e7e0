// Status read straight from the proxies, with no watcher (`l7mp-compile status DIR`): observe and
// plan each proxy against the repository — SYNCED when its plan is empty, DRIFTED otherwise — and
// read the revision recorded on it. A repository that does not compile makes every proxy it names
// REJECTED (with the first error's code); their recorded revisions are still read.
import type { CompileResult } from '../../compiler/pipeline.ts';
import { clientsFor, planRepo } from '../reconcile/plan-repo.ts';
import { mapBounded } from '../reconcile/pool.ts';
import { describeChanges, proxyHasChanges, summarizeProxy } from '../plan/summary.ts';
import type { SourceInfo } from '../sources/source.ts';
import { readRevision, type RevisionRecord } from './revision-marker.ts';
import type { ProxyStatus, WatchStatus } from './status-model.ts';

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
const at = () => new Date().toISOString();

const recorded = (r: RevisionRecord | undefined) =>
  r ? { revision: r.revision, ...(r.applied ? { appliedAt: r.applied } : {}) } : {};

export async function statusFromProxies(
  source: SourceInfo & { revision: string },
  res: CompileResult,
  opts: { timeoutMs?: number } = {},
): Promise<WatchStatus> {
  if (res.hasErrors) {
    const first = res.diagnostics.find((d) => d.severity === 'error');
    const clientFor = clientsFor(res.model.proxies, opts);
    const proxies = await mapBounded(res.model.proxies, 8, async (p): Promise<ProxyStatus> => {
      const client = clientFor(p.id.name);
      const rec = await readRevision(client).catch(() => undefined);
      client.close();
      return {
        proxy: p.id.name,
        adminUrl: p.admin.url,
        status: 'REJECTED',
        ...recorded(rec),
        ...(first ? { error: { code: first.code, message: first.message, at: at() } } : {}),
      };
    });
    proxies.sort((a, b) => (a.proxy < b.proxy ? -1 : 1));
    return { source, rejected: { revision: source.revision, diagnostics: res.diagnostics }, proxies };
  }

  const { plan, clientFor } = await planRepo(res, opts);
  const reached = await mapBounded(plan.proxies, 8, async (pp): Promise<ProxyStatus> => {
    const base = { proxy: pp.proxy, adminUrl: pp.adminUrl, plan: summarizeProxy(pp) };
    let rec: RevisionRecord | undefined;
    try {
      rec = await readRevision(clientFor(pp.proxy));
    } catch (e) {
      return {
        ...base,
        status: 'UNREACHABLE',
        error: { code: 'unreachable', message: message(e), at: at() },
      };
    }
    if (!proxyHasChanges(pp)) return { ...base, status: 'SYNCED', ...recorded(rec) };
    return {
      ...base,
      status: 'DRIFTED',
      ...recorded(rec),
      error: {
        code: 'drift',
        message: `${describeChanges(pp)} to match the repository`,
        at: at(),
      },
    };
  });
  const unreachable = plan.unreachable.map((u): ProxyStatus => ({
    proxy: u.proxy,
    adminUrl: u.adminUrl,
    status: 'UNREACHABLE',
    error: { code: 'unreachable', message: u.error, at: at() },
  }));
  for (const p of [...plan.proxies, ...plan.unreachable]) clientFor(p.proxy).close();
  return { source, proxies: [...reached, ...unreachable].sort((a, b) => (a.proxy < b.proxy ? -1 : 1)) };
}
