// What one reconcile amounted to, for the pass counter and the log line.
import type { ReconcileResult } from './reconcile-revision.ts';
import type { PassOutcome } from './status-model.ts';
import { STATUS_OF } from './proxy-statuses.ts';

/** Unreachable proxies fail a pass only when none was reached (each one counts in failures_total). */
export function outcomeOf(r: ReconcileResult): PassOutcome {
  if (r.held) return 'held';
  if (r.proxies.some((p) => p.kind === 'failed')) return 'failed';
  if (r.proxies.length > 0 && r.proxies.every((p) => p.kind === 'unreachable')) return 'failed';
  if (r.proxies.some((p) => p.kind === 'drift-reported')) return 'drifted';
  if (r.proxies.some((p) => p.kind === 'applied')) return 'applied';
  return 'unchanged';
}

/** `2 SYNCED, 1 UNREACHABLE, 12 calls` */
export function describeResult(r: ReconcileResult): string {
  const count = new Map<string, number>();
  for (const p of r.proxies) count.set(STATUS_OF[p.kind], (count.get(STATUS_OF[p.kind]) ?? 0) + 1);
  const calls = r.proxies.reduce((n, p) => n + p.callsMade, 0);
  const statuses = [...count].map(([s, n]) => `${n} ${s}`).join(', ') || 'no proxies';
  const held = r.held ? `; held: would end ${r.held.sessionsCut} live session(s), limit ${r.held.limit}` : '';
  return `${statuses}, ${calls} calls${held}`;
}
