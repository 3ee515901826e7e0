// Loading and attaching the tc program (facts §1.2, "Option B"): bpftool loads the object and pins
// the program and both maps under our own directory on the host's bpffs; tc attaches the pinned
// program to clsact ingress of each interface, inside the proxy's namespace through nsenter.
// One program instance serves every interface, and every step is idempotent.
//
// Pin directory layout (default /sys/fs/bpf/l7mp-compile/<netns or "host">):
//   maps/ofl_rules, maps/ofl_stats   the maps: they outlive program upgrades
//   prog-<sha256 of the object>/ofl_fwd   the program of that build
// Upgrading (a new object) loads the new build reusing the pinned maps (`map name X pinned P`),
// replaces the tc filters in place, then unpins the old build: rules and counters survive.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { MAPS, PROG_NAME, RULES_MAP, STATS_MAP, sizeOf } from './layout.ts';
import { OBJECT_PATH } from './build.ts';
import { OffloadError, assertPrivileges, bpftoolJson, run } from './exec.ts';
import type { MapPaths } from './diff.ts';

/** Our tc filter's priority and handle on clsact ingress ("c0de"): how we find it again. */
export const TC_PREF = 49374;
export const TC_HANDLE = '0x1';
export const BPFFS = '/sys/fs/bpf';

export interface DatapathRef {
  readonly netns?: string;
  readonly pinDir: string;
  readonly maps: MapPaths;
}

export interface Datapath extends DatapathRef {
  readonly progPin: string;
  readonly progId: number;
  /** capacity of the rules map */
  readonly maxEntries: number;
  readonly program: 'loaded' | 'upgraded' | 'unchanged';
  readonly attached: readonly {
    readonly iface: string;
    readonly action: 'attached' | 'replaced' | 'unchanged';
  }[];
}

export interface LoadOptions {
  readonly netns?: string;
  /** interface names (in the namespace) whose ingress gets the program */
  readonly ifaces: readonly string[];
  /** default: defaultPinDir(netns) */
  readonly pinDir?: string;
  /** default: offload/bpf/build/ofl_fwd.o (`make offload`) */
  readonly objectPath?: string;
}

export function defaultPinDir(netns?: string): string {
  return `${BPFFS}/l7mp-compile/${netns ?? 'host'}`;
}

export function datapathRef(opts: { netns?: string; pinDir?: string }): DatapathRef {
  const pinDir = opts.pinDir ?? defaultPinDir(opts.netns);
  return {
    ...(opts.netns ? { netns: opts.netns } : {}),
    pinDir,
    maps: { rules: join(pinDir, 'maps', RULES_MAP.name), stats: join(pinDir, 'maps', STATS_MAP.name) },
  };
}

export function assertNetns(netns: string | undefined): void {
  if (netns !== undefined && !existsSync(`/run/netns/${netns}`))
    throw new OffloadError(
      `no network namespace "${netns}" (/run/netns/${netns} does not exist)`,
      'bad-state',
    );
}

function bpffsMounted(): boolean {
  return readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .some((l) => {
      const [, mnt, type] = l.split(' ');
      return mnt === BPFFS && type === 'bpf';
    });
}

/** Mounts the BPF file system at /sys/fs/bpf when nothing is mounted there (systemd usually has). */
async function ensureBpffs(pinDir: string): Promise<void> {
  if (!pinDir.startsWith(`${BPFFS}/`) || bpffsMounted()) return;
  await run('mount', ['-t', 'bpf', 'bpf', BPFFS]);
}

interface MapInfo {
  id: number;
  type: string;
  bytes_key: number;
  bytes_value: number;
  max_entries: number;
}

export async function mapInfo(path: string): Promise<MapInfo> {
  return bpftoolJson<MapInfo>(['map', 'show', 'pinned', path]);
}

/** The pinned maps must have our layout: a layout change needs `offload unload` first. */
async function checkMaps(ref: DatapathRef): Promise<void> {
  for (const m of MAPS) {
    const path = join(ref.pinDir, 'maps', m.name);
    const info = await mapInfo(path);
    const want = { type: 'hash', bytes_key: sizeOf(m.key), bytes_value: sizeOf(m.value) };
    if (info.type !== want.type || info.bytes_key !== want.bytes_key || info.bytes_value !== want.bytes_value)
      throw new OffloadError(
        `the pinned map ${path} is a ${info.type} with ${info.bytes_key}-byte keys and ${info.bytes_value}-byte values, not this version's layout (${want.bytes_key}/${want.bytes_value}): remove it with \`l7mp-compile offload unload\` and apply again`,
        'bad-state',
      );
  }
}

async function progId(pin: string): Promise<number> {
  return (await bpftoolJson<{ id: number }>(['prog', 'show', 'pinned', pin])).id;
}

interface TcFilter {
  pref?: number;
  kind?: string;
  options?: { handle?: string; prog?: { id?: number; name?: string } };
}

async function ourFilter(iface: string, netns?: string): Promise<TcFilter | undefined> {
  const out = await run('tc', ['-j', 'filter', 'show', 'dev', iface, 'ingress'], netns ? { netns } : {});
  const filters = JSON.parse(out || '[]') as TcFilter[];
  return filters.find((f) => f.pref === TC_PREF && f.kind === 'bpf' && f.options?.handle === TC_HANDLE);
}

async function attach(
  iface: string,
  pin: string,
  id: number,
  netns?: string,
): Promise<'attached' | 'replaced' | 'unchanged'> {
  const o = netns ? { netns } : {};
  const qdiscs = JSON.parse((await run('tc', ['-j', 'qdisc', 'show', 'dev', iface], o)) || '[]') as {
    kind?: string;
  }[];
  if (!qdiscs.some((q) => q.kind === 'clsact')) await run('tc', ['qdisc', 'add', 'dev', iface, 'clsact'], o);
  const existing = await ourFilter(iface, netns);
  if (existing?.options?.prog?.id === id) return 'unchanged';
  const verb = existing ? 'replace' : 'add';
  await run(
    'tc',
    ['filter', verb, 'dev', iface, 'ingress', 'pref', String(TC_PREF), 'handle', TC_HANDLE].concat([
      'bpf',
      'direct-action',
      'object-pinned',
      pin,
    ]),
    o,
  );
  return existing ? 'replaced' : 'attached';
}

/**
 * Loads (or upgrades) the program, pins it and the maps, and attaches it to every given
 * interface's ingress. Idempotent: a second call with the same object changes nothing.
 */
export async function ensureLoaded(opts: LoadOptions): Promise<Datapath> {
  assertPrivileges(opts);
  assertNetns(opts.netns);
  const ref = datapathRef(opts);
  const objectPath = opts.objectPath ?? OBJECT_PATH;
  if (!existsSync(objectPath))
    throw new OffloadError(`the tc program is not built (${objectPath}): run \`make offload\``, 'no-object');
  await ensureBpffs(ref.pinDir);
  mkdirSync(ref.pinDir, { recursive: true });

  const version = createHash('sha256').update(readFileSync(objectPath)).digest('hex').slice(0, 16);
  const progDir = join(ref.pinDir, `prog-${version}`);
  const progPin = join(progDir, PROG_NAME);
  const mapsDir = join(ref.pinDir, 'maps');
  const mapsPinned = MAPS.filter((m) => existsSync(join(mapsDir, m.name)));
  if (mapsPinned.length && mapsPinned.length !== MAPS.length)
    throw new OffloadError(
      `${mapsDir} holds only some of the maps (${mapsPinned.map((m) => m.name).join(', ')}): remove it with \`l7mp-compile offload unload\``,
      'bad-state',
    );
  const older = readdirSync(ref.pinDir).filter((d) => d.startsWith('prog-') && d !== `prog-${version}`);

  let program: Datapath['program'] = 'unchanged';
  if (!existsSync(progPin)) {
    if (mapsPinned.length) await checkMaps(ref);
    const reuse = mapsPinned.length
      ? MAPS.flatMap((m) => ['map', 'name', m.name, 'pinned', join(mapsDir, m.name)])
      : ['pinmaps', mapsDir];
    rmSync(progDir, { recursive: true, force: true }); // a half-done earlier attempt
    try {
      await run('bpftool', ['prog', 'loadall', objectPath, progDir, 'type', 'classifier', ...reuse]);
    } catch (e) {
      rmSync(progDir, { recursive: true, force: true });
      throw e;
    }
    program = mapsPinned.length || older.length ? 'upgraded' : 'loaded';
  }
  const id = await progId(progPin);
  const attached: { iface: string; action: 'attached' | 'replaced' | 'unchanged' }[] = [];
  for (const iface of [...new Set(opts.ifaces)])
    attached.push({ iface, action: await attach(iface, progPin, id, opts.netns) });
  // Old builds: tc holds a reference while any interface still runs one, so unpinning is safe.
  for (const d of older) rmSync(join(ref.pinDir, d), { recursive: true, force: true });
  const { max_entries } = await mapInfo(ref.maps.rules);
  return { ...ref, progPin, progId: id, maxEntries: max_entries, program, attached };
}

/** Whether the maps of a datapath are pinned (it was loaded at least once). */
export function isLoaded(ref: DatapathRef): boolean {
  return existsSync(ref.maps.rules) && existsSync(ref.maps.stats);
}

/**
 * Detaches our filter from every interface of the namespace and removes the pin directory (maps,
 * rules and counters with it). Traffic falls back to the stack, i.e. to the userspace proxy.
 */
export async function unload(opts: { netns?: string; pinDir?: string }): Promise<{ detached: string[] }> {
  assertPrivileges(opts);
  assertNetns(opts.netns);
  const ref = datapathRef(opts);
  const o = opts.netns ? { netns: opts.netns } : {};
  const links = JSON.parse((await run('ip', ['-j', 'link', 'show'], o)) || '[]') as { ifname: string }[];
  const detached: string[] = [];
  for (const { ifname } of links) {
    const f = await ourFilter(ifname, opts.netns).catch(() => undefined);
    if (f?.options?.prog?.name !== PROG_NAME) continue;
    await run(
      'tc',
      ['filter', 'del', 'dev', ifname, 'ingress', 'pref', String(TC_PREF), 'handle', TC_HANDLE, 'bpf'],
      o,
    );
    detached.push(ifname);
  }
  rmSync(ref.pinDir, { recursive: true, force: true });
  return { detached };
}
