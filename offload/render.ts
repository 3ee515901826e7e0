// Human and JSON views of offload plans and status, rendered late from the values (diff.ts,
// sync.ts), so the JSON never lacks what the text shows.
import type { SyncPlan, RuleOp } from './diff.ts';
import type { FiveTuple, Iface, NotOffloaded } from './model.ts';
import type { EntryStats } from './sync.ts';
import { tupleText } from './derive.ts';

export const OFFLOAD_FORMAT_VERSION = '1';

export interface PlanView {
  readonly proxy: string;
  readonly netns?: string;
  /** false: nothing is loaded yet, the plan is against empty maps */
  readonly loaded: boolean;
  readonly capacity: number;
  readonly plan: SyncPlan;
  readonly notOffloaded: readonly NotOffloaded[];
  readonly ifaces: readonly Iface[];
  /** true once the plan was written (apply) */
  readonly applied?: boolean;
}

function ifaceName(ifaces: readonly Iface[], ifindex: number): string {
  return ifaces.find((i) => i.ifindex === ifindex)?.name ?? `ifindex ${ifindex}`;
}

function opJson(op: RuleOp, ifaces: readonly Iface[]) {
  const after = op.entry
    ? {
        rewrite: op.entry.rewrite,
        out: op.entry.out.name,
        listener: op.entry.listener,
        route: op.entry.route,
      }
    : {};
  const before = op.before
    ? { before: { rewrite: op.before.rewrite, out: ifaceName(ifaces, op.before.ifindex) } }
    : {};
  return {
    kind: op.kind,
    direction: op.direction,
    match: op.match,
    ...after,
    ...(op.entry?.object ? { object: op.entry.object } : {}),
    ...before,
  };
}

export function renderPlanJson(v: PlanView): string {
  return `${JSON.stringify(
    {
      format_version: OFFLOAD_FORMAT_VERSION,
      proxy: v.proxy,
      ...(v.netns ? { netns: v.netns } : {}),
      loaded: v.loaded,
      applied: v.applied ?? false,
      capacity: v.capacity,
      order: v.plan.order,
      summary: summary(v.plan),
      ops: v.plan.ops.map((o) => opJson(o, v.ifaces)),
      not_offloaded: v.notOffloaded,
    },
    null,
    2,
  )}\n`;
}

function summary(p: SyncPlan) {
  const n = (k: RuleOp['kind']) => p.ops.filter((o) => o.kind === k).length;
  return { add: n('add'), change: n('change'), remove: n('remove'), unchanged: p.unchanged };
}

const SIGN: Readonly<Record<RuleOp['kind'], string>> = { add: '+', change: '~', remove: '-' };

function rewriteText(rewrite: FiveTuple, out: string): string {
  return `${tupleText(rewrite)} out ${out}`;
}

/** One line per map write (two for a change: the new value, then the old one). */
export function opLines(v: Pick<PlanView, 'plan' | 'ifaces'>, indent = '  '): string[] {
  const lines: string[] = [];
  for (const op of v.plan.ops) {
    const head = `${indent}${SIGN[op.kind]} ${op.direction.padEnd(7)} ${tupleText(op.match)}`;
    if (op.kind === 'remove') {
      lines.push(`${head}  ⇒  ${rewriteText(op.before!.rewrite, ifaceName(v.ifaces, op.before!.ifindex))}`);
      continue;
    }
    const e = op.entry!;
    lines.push(`${head}  ⇒  ${rewriteText(e.rewrite, e.out.name)}${e.object ? `  (${e.object})` : ''}`);
    if (op.kind === 'change' && op.before)
      lines.push(
        `${indent}    was ${rewriteText(op.before.rewrite, ifaceName(v.ifaces, op.before.ifindex))}`,
      );
  }
  return lines;
}

/** The counts line: "4 to add, 0 to change, 0 to remove, 0 unchanged (map capacity 65536)". */
export function countsText(v: Pick<PlanView, 'plan' | 'capacity'>): string {
  const s = summary(v.plan);
  return `${s.add} to add, ${s.change} to change, ${s.remove} to remove, ${s.unchanged} unchanged (map capacity ${v.capacity}${v.plan.order === 'break-before-make' ? '; removes first to make room' : ''})`;
}

/** One line per listener or route that stays in userspace, with its reason and code. */
export function notOffloadedLines(notOffloaded: readonly NotOffloaded[], indent = '  '): string[] {
  return notOffloaded.map((n) => {
    const what = n.listener ? `listener ${n.listener}` : `route ${n.routes.join(', ')}`;
    return `${indent}${n.object ?? what}: ${n.reason} [${n.code}]${n.object ? `  (${what})` : ''}`;
  });
}

export function renderPlanText(v: PlanView): string {
  const where = v.netns ? ` in network namespace ${v.netns}` : '';
  const lines = [
    `Kernel offload for proxy ${v.proxy}${where}${v.loaded ? '' : ' (not loaded yet: planned against empty maps)'}:`,
    ...opLines(v),
    `${v.applied ? 'Applied' : 'Plan'}: ${countsText(v)}.`,
  ];
  if (v.notOffloaded.length)
    lines.push(
      '',
      'Not offloaded (these stay in the userspace proxy):',
      ...notOffloadedLines(v.notOffloaded),
    );
  return `${lines.join('\n')}\n`;
}

export interface StatusView {
  readonly netns?: string;
  readonly entries: readonly EntryStats[];
  readonly ifaces: readonly Iface[];
  /** process.hrtime.bigint() when read: the same clock as lastSeenNs */
  readonly nowNs: bigint;
  /** with a configuration: the listeners and routes that stay in userspace */
  readonly notOffloaded?: readonly NotOffloaded[];
}

function ago(v: StatusView, s: EntryStats): number | null {
  return s.lastSeenNs === 0n ? null : Number(v.nowNs - s.lastSeenNs) / 1e9;
}

export function renderStatusJson(v: StatusView): string {
  return `${JSON.stringify(
    {
      format_version: OFFLOAD_FORMAT_VERSION,
      ...(v.netns ? { netns: v.netns } : {}),
      entries: v.entries.map((s) => ({
        direction: s.direction,
        match: s.match,
        rewrite: s.rewrite,
        out: ifaceName(v.ifaces, s.ifindex),
        packets: Number(s.packets),
        bytes: Number(s.bytes),
        last_seen_seconds_ago: ago(v, s),
        counted: s.counted,
      })),
      ...(v.notOffloaded ? { not_offloaded: v.notOffloaded } : {}),
    },
    null,
    2,
  )}\n`;
}

export function renderStatusText(v: StatusView): string {
  const reasons = v.notOffloaded?.length
    ? ['', 'Not offloaded (these stay in the userspace proxy):', ...notOffloadedLines(v.notOffloaded), '']
    : [];
  return `${entriesTable(v)}${reasons.join('\n')}`;
}

function entriesTable(v: StatusView): string {
  if (!v.entries.length) return `No offload entries${v.netns ? ` in network namespace ${v.netns}` : ''}.\n`;
  const rows = v.entries.map((s) => {
    const a = ago(v, s);
    return [
      s.direction,
      tupleText(s.match),
      `${tupleText(s.rewrite)} out ${ifaceName(v.ifaces, s.ifindex)}`,
      String(s.packets),
      String(s.bytes),
      a === null ? 'never' : `${a.toFixed(1)}s ago`,
    ];
  });
  const head = ['DIRECTION', 'MATCH', 'REWRITE', 'PACKETS', 'BYTES', 'LAST SEEN'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (r: readonly string[]) =>
    r
      .map((c, i) => (i >= 3 && i <= 4 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return `${[fmt(head), ...rows.map(fmt)].join('\n')}\n`;
}
