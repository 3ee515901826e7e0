// A watcher's status (or one read straight from the proxies) as text: the source, then one row
// per proxy, then the diagnostics of a rejected revision.
import type { WatchStatus } from '../../runtime/watch/status-model.ts';
import type { PlanSummary } from '../../runtime/reconcile/types.ts';
import { shortRevision } from '../../runtime/watch/short-revision.ts';
import { renderDiagnostics } from './diagnostics.ts';

const short = shortRevision;

const plan = (s: PlanSummary | undefined) =>
  s
    ? `+${s.add} ~${s.change} -/+${s.replace} -${s.destroy}${s.sessionsCut ? ` (${s.sessionsCut} cut)` : ''}`
    : '-';

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

export function renderStatusTable(s: WatchStatus, opts: { color?: boolean } = {}): string {
  const out: string[] = [];
  const src = s.source;
  out.push(
    `source: ${src.kind} ${src.location}${src.branch ? ` (branch ${src.branch})` : ''} at ${short(src.revision)}${src.subject ? ` "${src.subject}"` : ''}`,
  );
  if (s.appliedRevision !== undefined) out.push(`last good revision: ${short(s.appliedRevision)}`);
  if (src.forcePush)
    out.push(
      `force-push seen ${src.forcePush.at}: ${short(src.forcePush.from)} → ${short(src.forcePush.to)} (${src.forcePush.direction})`,
    );
  if (src.error) out.push(`source error (${src.error.at}): ${src.error.message}`);
  if (s.held)
    out.push(
      `held: revision ${short(s.held.revision)} would end ${s.held.sessionsCut} live session(s) (limit ${s.held.limit})`,
    );
  if (s.lastPass)
    out.push(
      `last pass: #${s.lastPass.number} (${s.lastPass.reasons.join(', ')}) ${s.lastPass.outcome} at ${s.lastPass.at}, ${s.lastPass.durationMs} ms`,
    );
  out.push('');
  const rows = [['PROXY', 'STATUS', 'REVISION', 'APPLIED', 'PLAN', 'ERROR']];
  for (const p of s.proxies)
    rows.push([
      p.proxy,
      p.status,
      short(p.revision),
      p.appliedAt ?? '-',
      plan(p.plan),
      p.error ? `${p.error.code}: ${p.error.message}` : '-',
    ]);
  out.push(s.proxies.length ? table(rows) : '(no proxies)');
  if (s.rejected) {
    out.push('', `revision ${short(s.rejected.revision)} is rejected; nothing of it was applied:`);
    out.push(renderDiagnostics('text', s.rejected.diagnostics, { color: opts.color ?? false }).trimEnd());
  }
  return `${out.join('\n')}\n`;
}
