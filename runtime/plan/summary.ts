// The counts under a plan ("Plan: 3 to add, 1 to change, 0 to replace, 2 to destroy"), per object:
//   add      objects created that replace nothing (endpoints of a new cluster included);
//   change   objects edited in place: each rulelist with rule insertions/removals, each existing
//            cluster with endpoints added/removed;
//   replace  objects replaced: one per create half (a new version, a re-created zombie or drift);
//   destroy  objects deleted that nothing replaces;
// and the live sessions the plan ends.
import type { Plan, PlannedCall, PlanSummary, ProxyPlan } from '../reconcile/types.ts';
import { offloadChanges } from '../../offload/proxy-offload.ts';

/** The object a call changes in place (`rulelists/<rl>`, `clusters/<c>`), if it is an in-place edit. */
export function changedInPlace(c: PlannedCall): string | undefined {
  switch (c.action) {
    case 'insert-rule':
    case 'remove-rule':
      return `rulelists/${c.rulelist ?? ''}`;
    case 'add-endpoint':
    case 'remove-endpoint': {
      const cluster = (c.object as { cluster?: unknown } | undefined)?.cluster;
      return `clusters/${typeof cluster === 'string' ? cluster : c.name}`;
    }
    default:
      return undefined;
  }
}

export function summarizeCalls(calls: readonly PlannedCall[]): PlanSummary {
  let add = 0;
  let replace = 0;
  let destroy = 0;
  let sessionsCut = 0;
  const changed = new Set<string>();
  for (const c of calls) {
    sessionsCut += c.sessionsCut;
    if (c.action === 'create') add++;
    else if (c.action === 'replace-create') replace++;
    else if (c.action === 'delete') destroy++;
    const obj = changedInPlace(c);
    if (obj !== undefined) changed.add(obj);
  }
  return { add, change: changed.size, replace, destroy, sessionsCut };
}

export function summarizeProxy(p: ProxyPlan): PlanSummary {
  return summarizeCalls(p.calls);
}

export function summarize(plan: Plan): PlanSummary {
  const per = plan.proxies.map(summarizeProxy);
  const sum = (k: keyof PlanSummary) => per.reduce((n, s) => n + s[k], 0);
  return {
    add: sum('add'),
    change: sum('change'),
    replace: sum('replace'),
    destroy: sum('destroy'),
    sessionsCut: sum('sessionsCut'),
  };
}

/** The offload's map writes per kind (add/change/remove), over every proxy with an offload part. */
export interface OffloadSummary {
  readonly add: number;
  readonly change: number;
  readonly remove: number;
}

export function summarizeOffload(proxies: readonly ProxyPlan[]): OffloadSummary {
  const ops = proxies.flatMap((p) => p.offload?.sync.ops ?? []);
  const n = (k: 'add' | 'change' | 'remove') => ops.filter((o) => o.kind === k).length;
  return { add: n('add'), change: n('change'), remove: n('remove') };
}

/** Whether applying the proxy's part does anything: a REST call or an offload write or load. */
export function proxyHasChanges(p: ProxyPlan): boolean {
  return p.calls.length > 0 || (p.offload !== undefined && offloadChanges(p.offload));
}

/** Whether any proxy's offload part could not be planned. */
export function offloadErrors(plan: Plan): { proxy: string; error: string }[] {
  return plan.proxies.flatMap((p) => (p.offload?.error ? [{ proxy: p.proxy, error: p.offload.error }] : []));
}

/** The number of changes in a proxy's part and the first of them, in words (for status lines). */
export function describeChanges(p: ProxyPlan): string {
  const writes = p.offload?.commands.length ?? 0;
  const c = p.calls[0];
  if (c) return `${p.calls.length} call(s), e.g. ${c.action} ${c.kind} ${c.name}`;
  return writes ? `${writes} kernel offload map write(s)` : 'loading the kernel offload program';
}
