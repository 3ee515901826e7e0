// The sync plan (pure): desired entries vs. a dump of the live maps → the exact map writes, in a
// safe order, or a capacity error before anything is written. sync.ts runs it; `offload plan`
// shows it.
//
// Order (make before break): stats entries before their rule (so the first packet is counted);
// adds and changes of reverse (reply) entries before forward ones, so replies already have their
// way back when the first rewritten request leaves; deletes of forward entries before reverse
// ones; a rule's stats after the rule. Adds are written with `noexist` and changes with `exist`,
// so a map that changed since the dump stops the batch instead of being overwritten; deletes name
// only keys seen in the dump. If the adds would only fit after the deletes, deletes go first
// (break before make) and the plan says so.
import { encodeRule, keyId, toHex, ZERO_STATS, type RuleValue } from './codec.ts';
import type { CapacityError, Direction, FiveTuple, OffloadEntry } from './model.ts';

/** One live rule from a dump. */
export interface LiveRule {
  readonly keyHex: string;
  readonly valueHex: string;
  readonly match: FiveTuple;
  readonly rule: RuleValue;
}

export interface LiveMaps {
  readonly rules: readonly LiveRule[];
  /** keys (hex) of ofl_stats */
  readonly statsKeys: readonly string[];
}

export type OpKind = 'add' | 'change' | 'remove';

export interface RuleOp {
  readonly kind: OpKind;
  readonly direction: Direction;
  readonly match: FiveTuple;
  readonly keyHex: string;
  /** the new value (add, change) */
  readonly valueHex?: string;
  /** the live rule (change, remove) */
  readonly before?: RuleValue;
  /** the desired entry (add, change) */
  readonly entry?: OffloadEntry;
}

export interface SyncPlan {
  /** rule writes in execution order */
  readonly ops: readonly RuleOp[];
  /** stats keys written zeroed (each before its rule) */
  readonly statsAdds: readonly string[];
  /** stats keys deleted: of removed rules (after the rule) and orphans (first) */
  readonly statsRemoves: readonly string[];
  readonly order: 'make-before-break' | 'break-before-make';
  readonly unchanged: number;
  readonly error?: CapacityError;
}

export interface MapPaths {
  readonly rules: string;
  readonly stats: string;
}

const byDirection = (first: Direction) => (a: { direction: Direction }, b: { direction: Direction }) =>
  (a.direction === first ? 0 : 1) - (b.direction === first ? 0 : 1);

export function planSync(desired: readonly OffloadEntry[], live: LiveMaps, capacity: number): SyncPlan {
  const liveByKey = new Map(live.rules.map((r) => [r.keyHex, r]));
  const want = new Map<string, { entry: OffloadEntry; valueHex: string }>();
  for (const e of desired) {
    const keyHex = keyId(e.match);
    if (want.has(keyHex))
      throw new Error(`two desired entries match ${keyHex}: derivation should prevent this`);
    want.set(keyHex, {
      entry: e,
      valueHex: toHex(encodeRule({ rewrite: e.rewrite, ifindex: e.out.ifindex, direction: e.direction })),
    });
  }

  const adds: RuleOp[] = [];
  const changes: RuleOp[] = [];
  let unchanged = 0;
  for (const [keyHex, w] of want) {
    const cur = liveByKey.get(keyHex);
    const op = {
      direction: w.entry.direction,
      match: w.entry.match,
      keyHex,
      valueHex: w.valueHex,
      entry: w.entry,
    };
    if (!cur) adds.push({ kind: 'add', ...op });
    else if (cur.valueHex !== w.valueHex) changes.push({ kind: 'change', ...op, before: cur.rule });
    else unchanged++;
  }
  const removes: RuleOp[] = live.rules
    .filter((r) => !want.has(r.keyHex))
    .map((r) => ({
      kind: 'remove',
      direction: r.rule.direction,
      match: r.match,
      keyHex: r.keyHex,
      before: r.rule,
    }));

  adds.sort(byDirection('reverse'));
  changes.sort(byDirection('reverse'));
  removes.sort(byDirection('forward'));

  const liveStats = new Set(live.statsKeys);
  const liveRuleKeys = new Set(live.rules.map((r) => r.keyHex));
  const orphans = live.statsKeys.filter((k) => !liveRuleKeys.has(k) && !want.has(k));
  const removedStats = removes.map((r) => r.keyHex).filter((k) => liveStats.has(k));
  // A new rule gets zeroed counters (even over stale ones); so does a rule whose counters vanished.
  const statsAdds = [...want.keys()].filter((k) => !liveStats.has(k) || !liveRuleKeys.has(k));

  const base = { unchanged, statsAdds, statsRemoves: [...orphans, ...removedStats] };
  if (want.size > capacity)
    return {
      ...base,
      ops: [],
      statsAdds: [],
      statsRemoves: [],
      order: 'make-before-break',
      error: {
        code: 'capacity',
        needed: want.size,
        capacity,
        message: `${want.size} entries do not fit the map's capacity of ${capacity}: nothing was written`,
      },
    };
  const statsPeak =
    live.statsKeys.length - orphans.length + statsAdds.filter((k) => !liveStats.has(k)).length;
  const makeFirst = live.rules.length + adds.length <= capacity && statsPeak <= capacity;
  return {
    ...base,
    ops: makeFirst ? [...adds, ...changes, ...removes] : [...removes, ...adds, ...changes],
    order: makeFirst ? 'make-before-break' : 'break-before-make',
  };
}

/** The bpftool batch lines that carry out a plan, in order. */
export function batchCommands(plan: SyncPlan, maps: MapPaths): string[] {
  const out: string[] = [];
  const statsAdd = new Set(plan.statsAdds);
  const statsRemove = new Set(plan.statsRemoves);
  const touched = new Set(plan.ops.map((o) => o.keyHex));
  const zero = toHex(ZERO_STATS);
  const statsUpdate = (k: string) => `map update pinned ${maps.stats} key hex ${k} value hex ${zero}`;
  const statsDelete = (k: string) => `map delete pinned ${maps.stats} key hex ${k}`;
  // Orphaned counters first: they free room and count nothing.
  for (const k of plan.statsRemoves) if (!touched.has(k)) out.push(statsDelete(k));
  for (const op of plan.ops) {
    switch (op.kind) {
      case 'add':
        if (statsAdd.has(op.keyHex)) out.push(statsUpdate(op.keyHex));
        out.push(`map update pinned ${maps.rules} key hex ${op.keyHex} value hex ${op.valueHex} noexist`);
        break;
      case 'change':
        if (statsAdd.has(op.keyHex)) out.push(statsUpdate(op.keyHex));
        out.push(`map update pinned ${maps.rules} key hex ${op.keyHex} value hex ${op.valueHex} exist`);
        break;
      case 'remove':
        out.push(`map delete pinned ${maps.rules} key hex ${op.keyHex}`);
        if (statsRemove.has(op.keyHex)) out.push(statsDelete(op.keyHex));
        break;
    }
  }
  // Counters missing for rules that are otherwise unchanged.
  for (const k of plan.statsAdds) if (!touched.has(k)) out.push(statsUpdate(k));
  return out;
}

/** Whether a plan writes anything. */
export function isEmptyPlan(plan: SyncPlan): boolean {
  return plan.ops.length === 0 && plan.statsAdds.length === 0 && plan.statsRemoves.length === 0;
}
