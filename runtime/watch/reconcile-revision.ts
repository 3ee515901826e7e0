// One revision against the live proxies, in named steps (plan → decide → hold → apply → record):
//   plan    observe every proxy and diff (an unreachable one fails only its own part);
//   decide  per proxy, from the revision recorded ON the proxy: nothing to do → synced; calls while
//           the proxy already runs this revision → drift (corrected, or only reported with
//           --drift=report); calls for another revision (or none recorded: a proxy restarted empty)
//           → apply;
//   hold    the proxies to apply would end more live sessions than allowed → none is applied;
//   apply   per proxy all-or-nothing (runtime/reconcile/apply.ts);
//   record  the revision on every proxy that now runs it.
import type { CompileResult } from '../../compiler/pipeline.ts';
import { planRepo } from '../reconcile/plan-repo.ts';
import { applyPlan, type ApplyEvent, type ProxyApplyResult } from '../reconcile/apply.ts';
import { mapBounded } from '../reconcile/pool.ts';
import type { PlanSummary, ProxyPlan } from '../reconcile/types.ts';
import { describeChanges, proxyHasChanges, summarizeProxy } from '../plan/summary.ts';
import type { ProxyClient } from '../proxy/client.ts';
import { readRevision, writeRevision, type RevisionRecord } from './revision-marker.ts';
import type { WatchMetrics } from './metrics.ts';
import type { WatchErrorCode } from './status-model.ts';

export interface Desired {
  readonly revision: string;
  readonly res: CompileResult;
}

export interface ReconcileOptions {
  readonly drift: 'correct' | 'report';
  readonly maxDisruptedSessions?: number;
  readonly timeoutMs?: number;
  readonly concurrency?: number;
  /** false: leave the kernel offload alone (`--no-offload`) */
  readonly offload?: boolean;
  readonly holder: string;
  readonly metrics: WatchMetrics;
}

export type ProxyOutcomeKind = 'synced' | 'applied' | 'drift-reported' | 'held' | 'unreachable' | 'failed';

export interface ProxyOutcome {
  readonly proxy: string;
  readonly adminUrl: string;
  readonly kind: ProxyOutcomeKind;
  /** what the proxy records as live after this reconcile (undefined: nothing recorded) */
  readonly record?: RevisionRecord;
  readonly plan?: PlanSummary;
  readonly callsMade: number;
  readonly driftFound: boolean;
  readonly error?: { readonly code: WatchErrorCode; readonly message: string };
}

export interface ReconcileResult {
  readonly proxies: readonly ProxyOutcome[];
  readonly held?: { readonly sessionsCut: number; readonly limit: number };
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

const FAILURE_CODE: Record<ProxyApplyResult['status'], WatchErrorCode> = {
  applied: 'apply-failed', // (verification failed)
  unchanged: 'apply-failed',
  failed: 'apply-failed',
  'rolled-back': 'rolled-back',
  locked: 'locked',
  stale: 'stale',
  unreachable: 'unreachable',
};

/** `/api/v1/rulelists/x/rules/y` → `rulelists` */
const kindOfPath = (path: string) => /^\/api\/v1\/([a-z]+)/.exec(path)?.[1] ?? 'unknown';

export async function reconcileRevision(want: Desired, opts: ReconcileOptions): Promise<ReconcileResult> {
  const { metrics } = opts;
  const { plan, clientFor } = await planRepo(want.res, {
    ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
    ...(opts.concurrency ? { concurrency: opts.concurrency } : {}),
    ...(opts.offload === false ? { offload: false } : {}),
  });
  const concurrency = opts.concurrency ?? 8;
  const outcomes = new Map<string, ProxyOutcome>();
  const base = (pp: ProxyPlan) => ({
    proxy: pp.proxy,
    adminUrl: pp.adminUrl,
    plan: summarizeProxy(pp),
    callsMade: 0,
  });

  // decide
  const records = await mapBounded(plan.proxies, concurrency, async (pp) => {
    try {
      return { ok: true as const, record: await readRevision(clientFor(pp.proxy)) };
    } catch (e) {
      return { ok: false as const, error: message(e) };
    }
  });
  const toApply: ProxyPlan[] = [];
  const recordOf = new Map<string, RevisionRecord | undefined>();
  for (const [i, pp] of plan.proxies.entries()) {
    const r = records[i]!;
    if (!r.ok) {
      outcomes.set(pp.proxy, {
        ...base(pp),
        kind: 'unreachable',
        driftFound: false,
        error: { code: 'unreachable', message: r.error },
      });
      continue;
    }
    recordOf.set(pp.proxy, r.record);
    const drift = proxyHasChanges(pp) && r.record?.revision === want.revision;
    if (drift) metrics.drift.inc({ proxy: pp.proxy });
    if (!proxyHasChanges(pp) && !pp.offload?.error) {
      outcomes.set(pp.proxy, { ...base(pp), kind: 'synced', driftFound: false });
    } else if (drift && opts.drift === 'report') {
      outcomes.set(pp.proxy, {
        ...base(pp),
        kind: 'drift-reported',
        driftFound: true,
        ...(r.record ? { record: r.record } : {}),
        error: {
          code: 'drift',
          message: `differs from revision ${want.revision}: ${describeChanges(pp)}`,
        },
      });
    } else {
      toApply.push(pp);
    }
  }

  // hold
  const sessionsCut = toApply.reduce((n, pp) => n + summarizeProxy(pp).sessionsCut, 0);
  const limit = opts.maxDisruptedSessions;
  const held = limit !== undefined && sessionsCut > limit ? { sessionsCut, limit } : undefined;
  if (held) {
    for (const pp of toApply) {
      const rec = recordOf.get(pp.proxy);
      outcomes.set(pp.proxy, {
        ...base(pp),
        kind: 'held',
        driftFound: rec?.revision === want.revision,
        ...(rec ? { record: rec } : {}),
        error: {
          code: 'held',
          message: `revision ${want.revision} would end ${sessionsCut} live session(s), more than --max-disrupted-sessions ${limit}`,
        },
      });
    }
  }

  // apply
  const results =
    held || toApply.length === 0
      ? []
      : await applyPlan(
          { ...plan, proxies: toApply, unreachable: [] },
          {
            clientFor,
            desired: want.res.graphs,
            concurrency,
            holder: opts.holder,
            onEvent: (e: ApplyEvent) => {
              if (e.type === 'call') metrics.restCalls.inc({ kind: e.call.kind, action: e.call.action });
              if (e.type === 'undo') metrics.restCalls.inc({ kind: kindOfPath(e.call.path), action: 'undo' });
            },
          },
        );
  for (const res of results) {
    const pp = toApply.find((p) => p.proxy === res.proxy)!;
    const rec = recordOf.get(pp.proxy);
    const driftFound = rec?.revision === want.revision;
    if ((res.status === 'applied' || res.status === 'unchanged') && res.verified) {
      metrics.sessionsCut.inc(summarizeProxy(pp).sessionsCut);
      outcomes.set(pp.proxy, { ...base(pp), kind: 'applied', callsMade: res.callsMade, driftFound });
    } else {
      const code = FAILURE_CODE[res.status];
      outcomes.set(pp.proxy, {
        ...base(pp),
        kind: res.status === 'unreachable' ? 'unreachable' : 'failed',
        callsMade: res.callsMade,
        driftFound,
        ...(rec ? { record: rec } : {}),
        error: { code, message: res.error ?? res.status },
      });
    }
  }

  // record: every proxy that now runs this revision says so
  await mapBounded([...outcomes.values()], concurrency, async (o) => {
    if (o.kind !== 'synced' && o.kind !== 'applied') return;
    const had = recordOf.get(o.proxy);
    const record: RevisionRecord =
      had?.revision === want.revision ? had : { revision: want.revision, applied: new Date().toISOString() };
    try {
      if (record !== had)
        metrics.restCalls.inc(
          { kind: 'rulelists', action: 'revision-record' },
          await writeRevision(clientFor(o.proxy), record),
        );
    } catch (e) {
      outcomes.set(o.proxy, {
        ...o,
        kind: 'unreachable',
        error: { code: 'unreachable', message: `recording the revision: ${message(e)}` },
      });
      return;
    }
    outcomes.set(o.proxy, { ...o, record });
  });

  for (const u of plan.unreachable)
    outcomes.set(u.proxy, {
      proxy: u.proxy,
      adminUrl: u.adminUrl,
      kind: 'unreachable',
      callsMade: 0,
      driftFound: false,
      error: { code: 'unreachable', message: u.error },
    });
  for (const o of outcomes.values())
    if (o.kind === 'unreachable' || o.kind === 'failed')
      metrics.failures.inc({ proxy: o.proxy, code: o.error?.code ?? 'unknown' });
  closeClients([...outcomes.keys()], clientFor);
  return {
    proxies: [...outcomes.values()].sort((a, b) => (a.proxy < b.proxy ? -1 : 1)),
    ...(held ? { held } : {}),
  };
}

function closeClients(names: readonly string[], clientFor: (p: string) => ProxyClient): void {
  for (const n of names) clientFor(n).close();
}
