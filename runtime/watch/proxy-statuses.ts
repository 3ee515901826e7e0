// The per-proxy part of /status: what each reconcile found (reconcile-revision.ts outcomes) as one
// of six statuses, the revision recorded on the proxy, its last plan and its last error; mirrored
// into the l7c_watch_proxy_status gauge.
import type { Proxy } from '../../compiler/model/types.ts';
import type { WatchMetrics } from './metrics.ts';
import type { ProxyOutcome, ReconcileResult } from './reconcile-revision.ts';
import type { ProxyStatus, ProxyStatusValue, RecordedError } from './status-model.ts';
import { shortRevision } from './short-revision.ts';

export const STATUS_OF: Record<ProxyOutcome['kind'], ProxyStatusValue> = {
  synced: 'SYNCED',
  applied: 'SYNCED',
  'drift-reported': 'DRIFTED',
  held: 'HELD',
  unreachable: 'UNREACHABLE',
  failed: 'FAILED', // the apply was refused or failed: the proxy runs what it ran before (see the error)
};

export class ProxyStatuses {
  private readonly byName = new Map<string, ProxyStatus>();

  constructor(
    private readonly metrics: WatchMetrics,
    private readonly log: (line: string) => void,
  ) {}

  list(): ProxyStatus[] {
    return [...this.byName.values()].sort((a, b) => (a.proxy < b.proxy ? -1 : 1));
  }

  get(name: string): ProxyStatus | undefined {
    return this.byName.get(name);
  }

  /**
   * One reconcile's results; proxies it did not cover (gone from the inventory) are forgotten.
   * `rejected`: the source is rejected (this reconciled the last good revision), so every reachable
   * proxy shows REJECTED with that error.
   */
  record(r: ReconcileResult, revision: string, rejected?: RecordedError): void {
    const at = new Date().toISOString();
    const seen = new Set<string>();
    for (const o of r.proxies) {
      seen.add(o.proxy);
      const prev = this.byName.get(o.proxy);
      const showRejected = rejected !== undefined && o.kind !== 'unreachable';
      const error = showRejected ? rejected : o.error ? { ...o.error, at } : prev?.error;
      if (o.kind === 'applied')
        this.log(
          `  ${o.proxy}: applied revision ${shortRevision(revision)} (${o.callsMade} calls${o.driftFound ? ', drift corrected' : ''})`,
        );
      else if (o.error && o.error.code !== prev?.error?.code)
        this.log(`  ${o.proxy}: ${STATUS_OF[o.kind]} ${o.error.code}: ${o.error.message}`);
      this.set({
        proxy: o.proxy,
        adminUrl: o.adminUrl,
        status: showRejected ? 'REJECTED' : STATUS_OF[o.kind],
        ...(o.record
          ? { revision: o.record.revision, ...(o.record.applied ? { appliedAt: o.record.applied } : {}) }
          : {}),
        ...(o.plan ? { plan: o.plan } : {}),
        ...(error ? { error } : {}),
      });
    }
    for (const name of [...this.byName.keys()]) if (!seen.has(name)) this.byName.delete(name);
  }

  /**
   * A rejected revision: every known proxy (or, before any good revision, every proxy the broken
   * one names) is REJECTED, except one known to be unreachable (as the periodic passes show it).
   */
  markRejected(named: readonly Proxy[], error: RecordedError | undefined): void {
    if (this.byName.size === 0)
      for (const p of named)
        this.byName.set(p.id.name, { proxy: p.id.name, adminUrl: p.admin.url, status: 'REJECTED' });
    for (const p of this.byName.values())
      if (p.status !== 'UNREACHABLE') this.set({ ...p, status: 'REJECTED', ...(error ? { error } : {}) });
  }

  private set(s: ProxyStatus): void {
    this.byName.set(s.proxy, s);
    this.metrics.setProxyStatus(s.proxy, s.status);
  }
}
