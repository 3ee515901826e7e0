// Apply (DESIGN §4.4): executes exactly the calls of a plan, per proxy all-or-nothing. Each
// proxy is locked while it is changed; a fingerprint check refuses a plan made against a state
// that has since changed; every call made is journalled with its undo, so a failing call is
// followed by undoing what was done; the result is verified by observing again. Proxies run in
// parallel with a bound; one proxy's failure never stops the others.
import type { ProxyGraph } from '../../compiler/model/graph.ts';
import type { Call, Plan, PlannedCall, ProxyPlan } from './types.ts';
import { mapBounded } from './pool.ts';
import { observe } from '../proxy/observe.ts';
import { acquireLock } from '../proxy/lock.ts';
import { isProxyError, type ProxyClient } from '../proxy/client.ts';
import { planProxy } from '../plan/diff.ts';
import {
  applyOffload,
  fallBackToProxy,
  liveFingerprint,
  offloadChanges,
  type OffloadApplyResult,
} from '../../offload/proxy-offload.ts';

export type ApplyStatus =
  'applied' | 'unchanged' | 'rolled-back' | 'failed' | 'stale' | 'locked' | 'unreachable';

export interface ProxyApplyResult {
  readonly proxy: string;
  readonly status: ApplyStatus;
  /** calls that took effect (after a rollback: the ones made before the failure) */
  readonly callsMade: number;
  readonly undone: number;
  readonly error?: string;
  /** after success: live equals desired on a fresh observation */
  readonly verified: boolean;
  /** the kernel offload's part, when the plan had one with changes and it was written */
  readonly offload?: OffloadApplyResult;
}

export type ApplyEvent =
  | {
      readonly type: 'call';
      readonly proxy: string;
      readonly index: number;
      readonly total: number;
      readonly call: PlannedCall;
    }
  | { readonly type: 'undo'; readonly proxy: string; readonly call: Call }
  | { readonly type: 'done'; readonly result: ProxyApplyResult };

export interface ApplyOptions {
  readonly clientFor: (proxy: string) => ProxyClient;
  /** the compiled graphs the plan was made from, to verify against */
  readonly desired: readonly ProxyGraph[];
  readonly concurrency?: number;
  /** who holds the lock, shown to a concurrent applier */
  readonly holder?: string;
  readonly lockTtlMs?: number;
  readonly onEvent?: (e: ApplyEvent) => void;
}

const undoCalls = (c: PlannedCall): readonly Call[] => {
  const u = (c as { undo?: Call | readonly Call[] }).undo;
  return u === undefined ? [] : Array.isArray(u) ? u : [u as Call];
};

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

async function applyProxy(pp: ProxyPlan, opts: ApplyOptions): Promise<ProxyApplyResult> {
  const base = { proxy: pp.proxy, callsMade: 0, undone: 0, verified: false };
  const client = opts.clientFor(pp.proxy);
  const desired = opts.desired.find((g) => g.proxy === pp.proxy);
  let lock;
  try {
    lock = await acquireLock(client, {
      holder: opts.holder ?? `l7mp-compile:${process.pid}`,
      ttlMs: opts.lockTtlMs ?? 120_000,
    });
  } catch (e) {
    return { ...base, status: 'unreachable', error: message(e) };
  }
  if (!('release' in lock)) {
    return { ...base, status: 'locked', error: `locked by ${lock.heldBy} until ${lock.expiresAt}` };
  }
  try {
    const before = await observe(client, { proxy: pp.proxy, adminUrl: pp.adminUrl });
    if (before.fingerprint !== pp.fingerprint)
      return { ...base, status: 'stale', error: 'the proxy changed since the plan was made; plan again' };
    const offload = pp.offload;
    if (offload?.error)
      return { ...base, status: 'failed', error: `${offload.error}; nothing was changed on this proxy` };
    if (offload && (await liveFingerprint(offload)) !== offload.fingerprint)
      return {
        ...base,
        status: 'stale',
        error: 'the kernel offload maps changed since the plan was made; plan again',
      };
    const offloadPart = async (done: ProxyApplyResult): Promise<ProxyApplyResult> => {
      if (!offload || !offloadChanges(offload)) return done;
      try {
        const r = await applyOffload(offload);
        return r.verified
          ? { ...done, status: 'applied', offload: r }
          : {
              ...done,
              status: 'failed',
              verified: false,
              offload: r,
              error: 'verification: the kernel offload maps differ from the plan after writing it',
            };
      } catch (e) {
        const left = await fallBackToProxy(offload).catch(() => ['?']);
        return {
          ...done,
          status: 'failed',
          verified: false,
          error:
            `the REST calls were applied and verified, but writing the kernel offload failed: ${message(e)}; ` +
            (left.length
              ? `${left.length} touched entr${left.length === 1 ? 'y' : 'ies'} could not be removed: run \`l7mp-compile offload unload\` to hand every path to the proxy`
              : 'the entries it touched were removed, so those paths run in the userspace proxy'),
        };
      }
    };
    if (pp.calls.length === 0) return offloadPart({ ...base, status: 'unchanged', verified: true });

    const journal: Call[][] = [];
    for (const [index, c] of pp.calls.entries()) {
      opts.onEvent?.({ type: 'call', proxy: pp.proxy, index, total: pp.calls.length, call: c });
      try {
        await client.send(c.call);
        journal.push([...undoCalls(c)]);
      } catch (e) {
        const failure = `${c.call.method} ${c.call.path}: ${message(e)}`;
        // Undo in reverse order; keep going past a failing undo so as much as possible is restored.
        let undone = 0;
        const undoErrors: string[] = [];
        // A transport failure means the proxy is gone: the remaining undos cannot work either.
        undo: for (const calls of journal.reverse()) {
          for (const u of calls) {
            opts.onEvent?.({ type: 'undo', proxy: pp.proxy, call: u });
            try {
              await client.send(u);
              undone++;
            } catch (ue) {
              undoErrors.push(`${u.method} ${u.path}: ${message(ue)}`);
              if (isProxyError(ue, 'transport') || isProxyError(ue, 'timeout')) {
                undoErrors.push('the proxy stopped answering; rollback abandoned');
                break undo;
              }
            }
          }
        }
        const after = await observe(client, { proxy: pp.proxy, adminUrl: pp.adminUrl }).catch(
          () => undefined,
        );
        const restored = after?.fingerprint === before.fingerprint;
        return {
          ...base,
          status: restored ? 'rolled-back' : 'failed',
          callsMade: index,
          undone,
          error: `${failure}${restored ? '; all calls made were undone, the proxy is as before' : `; rollback incomplete${undoErrors.length ? `: ${undoErrors.join('; ')}` : ''}`}`,
        };
      }
    }
    const after = await observe(client, { proxy: pp.proxy, adminUrl: pp.adminUrl });
    const left = desired ? planProxy(desired, after).calls : [];
    return left.length === 0
      ? offloadPart({ ...base, status: 'applied', callsMade: pp.calls.length, verified: true })
      : {
          ...base,
          status: 'failed',
          callsMade: pp.calls.length,
          error: `verification: live state differs from the configuration in ${left.length} place(s), e.g. ${left[0]!.kind} ${left[0]!.name}`,
        };
  } catch (e) {
    return { ...base, status: 'unreachable', error: message(e) };
  } finally {
    await lock.release().catch(() => undefined);
  }
}

export async function applyPlan(plan: Plan, opts: ApplyOptions): Promise<ProxyApplyResult[]> {
  const results = await mapBounded(plan.proxies, opts.concurrency ?? 8, async (pp) => {
    const r = await applyProxy(pp, opts);
    opts.onEvent?.({ type: 'done', result: r });
    return r;
  });
  return [
    ...results,
    ...plan.unreachable.map((u) => ({
      proxy: u.proxy,
      status: 'unreachable' as const,
      callsMade: 0,
      undone: 0,
      verified: false,
      error: u.error,
    })),
  ];
}
