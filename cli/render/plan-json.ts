// Versioned JSON form of a plan: the Plan value itself (every call exactly as apply will send it,
// with its undo) plus the summary, overall and per proxy. The text form shows nothing that is not
// in here. Key order is fixed.
import type { Plan, PlanSummary, ProxyPlan } from '../../runtime/reconcile/types.ts';
import { summarize, summarizeOffload, summarizeProxy } from '../../runtime/plan/summary.ts';

export interface JsonProxyPlan extends ProxyPlan {
  readonly summary: PlanSummary;
}

export interface JsonPlanDocument extends Omit<Plan, 'proxies'> {
  readonly summary: PlanSummary;
  readonly proxies: readonly JsonProxyPlan[];
}

export function toJsonPlan(plan: Plan): JsonPlanDocument {
  return {
    format_version: plan.format_version,
    desired: plan.desired,
    ...(plan.revision !== undefined ? { revision: plan.revision } : {}),
    summary: summarize(plan),
    proxies: plan.proxies.map((p) => ({
      proxy: p.proxy,
      adminUrl: p.adminUrl,
      fingerprint: p.fingerprint,
      summary: summarizeProxy(p),
      calls: p.calls,
      ...(p.offload ? { offload: { ...p.offload, summary: summarizeOffload([p]) } } : {}),
    })),
    unreachable: plan.unreachable,
  };
}

export function renderPlanJson(plan: Plan): string {
  return `${JSON.stringify(toJsonPlan(plan), null, 2)}\n`;
}
