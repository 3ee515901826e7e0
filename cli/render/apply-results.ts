// After apply: one line per proxy with what happened, then a summary.
import type { ProxyApplyResult } from '../../runtime/reconcile/apply.ts';

const mark: Record<ProxyApplyResult['status'], string> = {
  applied: 'applied',
  unchanged: 'no changes',
  'rolled-back': 'FAILED, rolled back',
  failed: 'FAILED',
  stale: 'REFUSED (stale plan)',
  locked: 'REFUSED (locked)',
  unreachable: 'UNREACHABLE',
};

export function renderApplyResults(results: readonly ProxyApplyResult[]): string {
  const width = Math.max(5, ...results.map((r) => r.proxy.length));
  const lines = results.map((r) => {
    const offload = r.offload?.written
      ? `, kernel offload: ${r.offload.written} map writes${r.offload.program === 'loaded' || r.offload.program === 'upgraded' ? ` (program ${r.offload.program})` : ''}`
      : '';
    const calls =
      r.status === 'applied'
        ? `, ${r.callsMade} calls${offload}, verified`
        : r.undone
          ? `, ${r.callsMade} calls made and ${r.undone} undone`
          : '';
    return `  ${r.proxy.padEnd(width)}  ${mark[r.status]}${calls}${r.error ? `\n  ${' '.repeat(width)}  ${r.error}` : ''}`;
  });
  const ok = results.filter((r) => r.status === 'applied' || r.status === 'unchanged').length;
  const calls = results.reduce((n, r) => n + (r.status === 'applied' ? r.callsMade : 0), 0);
  return `${lines.join('\n')}\n\nApply complete: ${ok} of ${results.length} proxies converged, ${calls} calls made.\n`;
}

export function applySucceeded(results: readonly ProxyApplyResult[]): boolean {
  return results.every((r) => r.status === 'applied' || r.status === 'unchanged');
}
