// A proxy's offload as part of `plan` and `apply` (DESIGN §4, §6): the plan derives the entries
// against the namespace's live interfaces, diffs them against a dump of the live maps and records
// the exact bpftool batch it will write, pinned to a fingerprint of the maps it saw; apply (after
// the proxy's REST calls succeeded) loads and attaches the program if needed, refuses maps that
// changed since the plan, writes exactly that batch and verifies by dumping again.
import { createHash } from 'node:crypto';
import { buildProgram } from './build.ts';
import { deriveOffload } from './derive.ts';
import { batchCommands, isEmptyPlan, planSync, type LiveMaps, type SyncPlan } from './diff.ts';
import { OffloadError, assertPrivileges, bpftoolJson } from './exec.ts';
import { listIfaces } from './ifaces.ts';
import { MAX_ENTRIES } from './layout.ts';
import { assertNetns, mapInfo, type Datapath } from './load.ts';
import { datapathRef, dumpEntries, dumpOrEmpty, ensureLoaded, type DatapathRef } from './sync.ts';
import type { Iface, NotOffloaded, OffloadEntry } from './model.ts';
import type { ProxyGraph } from '../compiler/model/graph.ts';

/** Where a proxy's offload runs: `Proxy.spec.offload`. */
export interface OffloadTarget {
  readonly netns?: string;
  readonly pinDir?: string;
}

/** The offload part of one proxy's plan: a value, saved with the plan and executed exactly. */
export interface OffloadPlan {
  readonly netns?: string;
  readonly pinDir: string;
  /** false: nothing is loaded yet; apply loads the program first */
  readonly loaded: boolean;
  readonly capacity: number;
  /** the interfaces the program is attached to (where matching packets arrive) */
  readonly attach: readonly string[];
  readonly ifaces: readonly Iface[];
  /** every desired entry (for verification) */
  readonly entries: readonly OffloadEntry[];
  readonly sync: SyncPlan;
  /** the bpftool batch lines apply writes, in order; empty when the maps already match */
  readonly commands: readonly string[];
  readonly notOffloaded: readonly NotOffloaded[];
  /** hash of the live maps the plan was made against */
  readonly fingerprint: string;
  /** the offload could not be planned (privileges, namespace, capacity): apply refuses the proxy */
  readonly error?: string;
}

/** Hash of both maps' contents: the rules (key and value) and the counters' keys. */
export function mapsFingerprint(live: LiveMaps): string {
  const lines = [
    ...live.rules.map((r) => `r ${r.keyHex} ${r.valueHex}`),
    ...live.statsKeys.map((k) => `s ${k}`),
  ].sort();
  return createHash('sha256').update(lines.join('\n')).digest('hex').slice(0, 16);
}

const EMPTY_SYNC: SyncPlan = {
  ops: [],
  statsAdds: [],
  statsRemoves: [],
  order: 'make-before-break',
  unchanged: 0,
};

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Plans a proxy's offload. Never throws: a failure is the plan's `error`. */
export async function planOffload(graph: ProxyGraph, target: OffloadTarget): Promise<OffloadPlan> {
  const ref = datapathRef(target);
  const base = {
    ...(target.netns ? { netns: target.netns } : {}),
    pinDir: ref.pinDir,
    loaded: false,
    capacity: MAX_ENTRIES,
    attach: [],
    ifaces: [],
    entries: [],
    sync: EMPTY_SYNC,
    commands: [],
    notOffloaded: [],
    fingerprint: '',
  };
  try {
    assertPrivileges(target);
    assertNetns(target.netns);
    const ifaces = await listIfaces(target.netns);
    const live = await dumpOrEmpty(ref);
    const capacity = live.loaded ? (await mapInfo(ref.maps.rules)).max_entries : MAX_ENTRIES;
    const derived = deriveOffload(graph, ifaces, { maxEntries: capacity });
    const where = { ...base, loaded: live.loaded, capacity, ifaces, notOffloaded: derived.notOffloaded };
    if (derived.error) return { ...where, error: derived.error.message };
    const sync = planSync(derived.entries, live, capacity);
    if (sync.error) return { ...where, error: sync.error.message };
    return {
      ...where,
      attach: [...new Set(derived.entries.map((e) => e.in.name))].sort(),
      entries: derived.entries,
      sync,
      commands: isEmptyPlan(sync) ? [] : batchCommands(sync, ref.maps),
      fingerprint: mapsFingerprint(live),
    };
  } catch (e) {
    return { ...base, error: `kernel offload: ${message(e)}` };
  }
}

/** Whether the offload part changes anything: map writes, or a program to load or attach. */
export function offloadChanges(p: OffloadPlan): boolean {
  return p.commands.length > 0 || (!p.loaded && p.entries.length > 0);
}

function refOf(p: OffloadPlan): DatapathRef {
  return datapathRef({ ...(p.netns ? { netns: p.netns } : {}), pinDir: p.pinDir });
}

/** The live maps' fingerprint now ('' when not loaded), to refuse a stale saved plan. */
export async function liveFingerprint(p: OffloadPlan): Promise<string> {
  const live = await dumpOrEmpty(refOf(p));
  return live.loaded ? mapsFingerprint(live) : mapsFingerprint({ rules: [], statsKeys: [] });
}

export interface OffloadApplyResult {
  readonly program: Datapath['program'] | 'not-needed';
  /** bpftool batch lines written */
  readonly written: number;
  /** after writing, the live maps hold exactly the desired entries */
  readonly verified: boolean;
}

/**
 * Executes an offload plan: loads/attaches when needed, checks the maps still hold what the plan
 * saw, writes exactly its batch, verifies. Throws OffloadError on any failure.
 */
export async function applyOffload(p: OffloadPlan): Promise<OffloadApplyResult> {
  if (p.error) throw new OffloadError(p.error, 'bad-state');
  if (!offloadChanges(p)) return { program: 'not-needed', written: 0, verified: true };
  const ref = refOf(p);
  if ((await liveFingerprint(p)) !== p.fingerprint)
    throw new OffloadError('the offload maps changed since the plan was made; plan again', 'bad-state');
  const { path } = await buildProgram();
  const dp = await ensureLoaded({
    ...(p.netns ? { netns: p.netns } : {}),
    pinDir: p.pinDir,
    ifaces: p.attach,
    objectPath: path,
  });
  if (p.commands.length) {
    try {
      await bpftoolJson(['batch', 'file', '-'], `${p.commands.join('\n')}\n`);
    } catch (e) {
      throw new OffloadError(`writing the offload maps (bpftool batch): ${message(e)}`, 'command');
    }
  }
  const after = planSync(p.entries, await dumpEntries(ref), p.capacity);
  return { program: dp.program, written: p.commands.length, verified: isEmptyPlan(after) };
}

/**
 * After a failed write: removes every entry the plan touched, so those 5-tuples go to the
 * userspace proxy (which holds the configuration) instead of a half-written kernel path.
 * Best effort: returns the keys it could not remove.
 */
export async function fallBackToProxy(p: OffloadPlan): Promise<string[]> {
  const ref = refOf(p);
  const failed: string[] = [];
  let live;
  try {
    live = await dumpEntries(ref);
  } catch {
    return [];
  }
  const present = new Set(live.rules.map((r) => r.keyHex));
  for (const op of p.sync.ops) {
    if (!present.has(op.keyHex)) continue;
    try {
      await bpftoolJson(['map', 'delete', 'pinned', ref.maps.rules, 'key', 'hex', ...op.keyHex.split(' ')]);
    } catch {
      failed.push(op.keyHex);
    }
  }
  return failed;
}
