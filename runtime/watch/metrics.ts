// The watcher's Prometheus metrics, in a registry of its own (nothing global, so several watchers
// and tests can live in one process).
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { PROXY_STATUSES, type PassOutcome, type ProxyStatusValue } from './status-model.ts';

export class WatchMetrics {
  readonly registry = new Registry();
  readonly passes = new Counter({
    name: 'l7c_watch_passes_total',
    help: 'Reconcile passes, by outcome (applied, unchanged, rejected, held, drifted, failed, error)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly passDuration = new Histogram({
    name: 'l7c_watch_pass_duration_seconds',
    help: 'Duration of a reconcile pass: read, compile, plan, apply, record',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly restCalls = new Counter({
    name: 'l7c_watch_rest_calls_total',
    help: 'Mutating REST calls sent to proxies, by object kind and action (undo calls and revision records included)',
    labelNames: ['kind', 'action'] as const,
    registers: [this.registry],
  });
  readonly failures = new Counter({
    name: 'l7c_watch_failures_total',
    help: 'Per-proxy failures (unreachable, apply-failed, rolled-back, locked, stale) and source failures',
    labelNames: ['proxy', 'code'] as const,
    registers: [this.registry],
  });
  readonly drift = new Counter({
    name: 'l7c_watch_drift_found_total',
    help: 'Times a proxy was found to differ from the revision applied to it',
    labelNames: ['proxy'] as const,
    registers: [this.registry],
  });
  readonly sessionsCut = new Counter({
    name: 'l7c_watch_sessions_cut_total',
    help: 'Live sessions ended by applied plans (as predicted by the plan)',
    registers: [this.registry],
  });
  readonly commitToConverged = new Histogram({
    name: 'l7c_watch_commit_to_converged_seconds',
    help: 'From the commit time (Git) or the first file event (directory) to every proxy running the revision',
    buckets: [0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300],
    registers: [this.registry],
  });
  readonly proxyStatus = new Gauge({
    name: 'l7c_watch_proxy_status',
    help: 'Per proxy: 1 for its current status, 0 for the others',
    labelNames: ['proxy', 'status'] as const,
    registers: [this.registry],
  });

  setProxyStatus(proxy: string, status: ProxyStatusValue): void {
    for (const s of PROXY_STATUSES) this.proxyStatus.set({ proxy, status: s }, s === status ? 1 : 0);
  }

  countPass(outcome: PassOutcome, seconds: number): void {
    this.passes.inc({ outcome });
    this.passDuration.observe(seconds);
  }
}
