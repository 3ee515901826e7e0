// From a compiled repository to a plan: a client per Proxy, every proxy observed in parallel
// (an unreachable one fails only its own part), then the pure diff.
import type { CompileResult } from '../../compiler/pipeline.ts';
import type { Proxy } from '../../compiler/model/types.ts';
import { ProxyClient } from '../proxy/client.ts';
import { observe } from '../proxy/observe.ts';
import { makePlan } from '../plan/diff.ts';
import { mapBounded } from './pool.ts';
import { planOffload } from '../../offload/proxy-offload.ts';
import type { LiveState, Plan } from './types.ts';

export interface Reconcilable {
  readonly plan: Plan;
  readonly live: readonly LiveState[];
  readonly clientFor: (proxy: string) => ProxyClient;
}

export function clientsFor(
  proxies: readonly Proxy[],
  opts: { timeoutMs?: number } = {},
): (proxy: string) => ProxyClient {
  const clients = new Map<string, ProxyClient>();
  return (name) => {
    let c = clients.get(name);
    if (!c) {
      const p = proxies.find((x) => x.id.name === name);
      if (!p) throw new Error(`no Proxy named "${name}" in the inventory`);
      c = new ProxyClient({
        adminUrl: p.admin.url,
        ...(p.admin.headers ? { headers: p.admin.headers } : {}),
        ...(p.admin.tls ? { tls: p.admin.tls as never } : {}),
        ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
      });
      clients.set(name, c);
    }
    return c;
  };
}

export async function planRepo(
  res: CompileResult,
  opts: {
    only?: readonly string[];
    concurrency?: number;
    timeoutMs?: number;
    /** false: leave the kernel offload of proxies with `spec.offload` alone (default true) */
    offload?: boolean;
  } = {},
): Promise<Reconcilable> {
  const graphs = res.graphs.filter((g) => !opts.only?.length || opts.only.includes(g.proxy));
  const clientFor = clientsFor(res.model.proxies, opts);
  const observed = await mapBounded(graphs, opts.concurrency ?? 8, async (g) => {
    try {
      return {
        ok: true as const,
        live: await observe(clientFor(g.proxy), { proxy: g.proxy, adminUrl: g.admin.url }),
      };
    } catch (e) {
      return {
        ok: false as const,
        proxy: g.proxy,
        adminUrl: g.admin.url,
        error: e instanceof Error ? e.message : String(e),
      };
    }
  });
  const live = observed.flatMap((o) => (o.ok ? [o.live] : []));
  const unreachable = observed.flatMap((o) =>
    o.ok ? [] : [{ proxy: o.proxy, adminUrl: o.adminUrl, error: o.error }],
  );
  const reachable = graphs.filter((g) => live.some((l) => l.proxy === g.proxy));
  const plan = makePlan(reachable, live, unreachable);
  if (opts.offload === false) return { plan, live, clientFor };
  const proxies = await mapBounded(plan.proxies, opts.concurrency ?? 8, async (pp) => {
    const target = res.model.proxies.find((p) => p.id.name === pp.proxy)?.offload;
    const graph = reachable.find((g) => g.proxy === pp.proxy);
    return target && graph ? { ...pp, offload: await planOffload(graph, target) } : pp;
  });
  return { plan: { ...plan, proxies }, live, clientFor };
}
