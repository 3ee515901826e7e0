// The offload's I/O entry points (DESIGN §6): load and attach the program, read the live maps, and
// make them equal to the derived entries by writing only the difference. Everything goes through
// bpftool and tc (execFile), so nothing here needs a native module.
import { decodeKey, decodeRule, decodeStats, fromBpftoolBytes, toHex, type StatsValue } from './codec.ts';
import { batchCommands, isEmptyPlan, planSync, type LiveMaps, type LiveRule, type SyncPlan } from './diff.ts';
import { OffloadError, assertPrivileges, bpftoolJson } from './exec.ts';
import { isLoaded, mapInfo, type DatapathRef } from './load.ts';
import type { Direction, FiveTuple, OffloadEntry } from './model.ts';

export { ensureLoaded, unload, datapathRef, defaultPinDir, type Datapath, type DatapathRef } from './load.ts';

interface DumpItem {
  key: string[];
  value: string[];
}

async function dump(path: string): Promise<DumpItem[]> {
  return (await bpftoolJson<DumpItem[] | null>(['map', 'dump', 'pinned', path])) ?? [];
}

function requireLoaded(dp: DatapathRef): void {
  assertPrivileges(dp);
  if (!isLoaded(dp))
    throw new OffloadError(
      `the offload is not loaded${dp.netns ? ` in namespace ${dp.netns}` : ''} (no maps at ${dp.pinDir}/maps): run \`l7mp-compile offload apply\` first`,
      'not-loaded',
    );
}

export interface LiveState extends LiveMaps {
  /** key hex → counters */
  readonly stats: ReadonlyMap<string, StatsValue>;
}

/** Reads both maps (`bpftool -j map dump`), decoded from the raw bytes. */
export async function dumpEntries(dp: DatapathRef): Promise<LiveState> {
  requireLoaded(dp);
  const [rules, stats] = await Promise.all([dump(dp.maps.rules), dump(dp.maps.stats)]);
  const liveRules: LiveRule[] = rules.map((i) => {
    const key = fromBpftoolBytes(i.key);
    const value = fromBpftoolBytes(i.value);
    return { keyHex: toHex(key), valueHex: toHex(value), match: decodeKey(key), rule: decodeRule(value) };
  });
  const statsByKey = new Map(
    stats.map((i) => [toHex(fromBpftoolBytes(i.key)), decodeStats(fromBpftoolBytes(i.value))] as const),
  );
  return { rules: liveRules, statsKeys: [...statsByKey.keys()], stats: statsByKey };
}

/** The live state of a datapath that may not be loaded yet (then: empty), for plans. */
export async function dumpOrEmpty(dp: DatapathRef): Promise<LiveState & { loaded: boolean }> {
  assertPrivileges(dp);
  if (!isLoaded(dp)) return { rules: [], statsKeys: [], stats: new Map(), loaded: false };
  return { ...(await dumpEntries(dp)), loaded: true };
}

export interface SyncResult {
  readonly plan: SyncPlan;
  /** the bpftool batch lines written; empty when nothing changed */
  readonly commands: readonly string[];
}

/** The capacity of the live rules map. */
export async function capacity(dp: DatapathRef): Promise<number> {
  return (await mapInfo(dp.maps.rules)).max_entries;
}

/**
 * Makes the maps hold exactly `desired`: dumps them, plans the difference (diff.ts) and writes it
 * in ONE `bpftool batch`. Writes nothing when nothing differs; throws before writing anything when
 * the entries do not fit. bpftool stops a batch at its first failing command (e.g. the map changed
 * since the dump): the error says so, and the next sync re-reads and finishes the job.
 */
export async function syncEntries(dp: DatapathRef, desired: readonly OffloadEntry[]): Promise<SyncResult> {
  requireLoaded(dp);
  const [live, max] = await Promise.all([dumpEntries(dp), capacity(dp)]);
  const plan = planSync(desired, live, max);
  if (plan.error) throw new OffloadError(plan.error.message, 'capacity');
  if (isEmptyPlan(plan)) return { plan, commands: [] };
  const commands = batchCommands(plan, dp.maps);
  try {
    await bpftoolJson(['batch', 'file', '-'], `${commands.join('\n')}\n`);
  } catch (e) {
    throw new OffloadError(
      `writing the offload maps stopped at the first failing command (bpftool batch): ${(e as Error).message}\nthe commands before it took effect; run the sync again to finish`,
      'command',
    );
  }
  return { plan, commands };
}

export interface EntryStats {
  readonly direction: Direction;
  readonly match: FiveTuple;
  readonly rewrite: FiveTuple;
  readonly ifindex: number;
  readonly packets: bigint;
  readonly bytes: bigint;
  /** CLOCK_MONOTONIC ns of the last packet; 0n: none yet */
  readonly lastSeenNs: bigint;
  /** false when the rule has no counters entry (they then read 0) */
  readonly counted: boolean;
}

/** Every live entry with its counters: forward entries first, each direction by key bytes. */
export async function stats(dp: DatapathRef): Promise<EntryStats[]> {
  const live = await dumpEntries(dp);
  const rules = [...live.rules].sort(
    (a, b) =>
      (a.rule.direction === 'forward' ? 0 : 1) - (b.rule.direction === 'forward' ? 0 : 1) ||
      (a.keyHex < b.keyHex ? -1 : a.keyHex > b.keyHex ? 1 : 0),
  );
  return rules.map((r) => {
    const s = live.stats.get(r.keyHex);
    return {
      direction: r.rule.direction,
      match: r.match,
      rewrite: r.rule.rewrite,
      ifindex: r.rule.ifindex,
      packets: s?.packets ?? 0n,
      bytes: s?.bytes ?? 0n,
      lastSeenNs: s?.lastSeenNs ?? 0n,
      counted: s !== undefined,
    };
  });
}
