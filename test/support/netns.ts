// Network namespaces for the offload tests (facts §1.1): client, proxy and server namespaces joined
// by veths, private 10.200.x.y addresses, unique names (`l7c-ofl-<pid>-<tag>-…`), removed again by
// destroy() (deleting a namespace removes its veths, qdiscs and filters). No traffic leaves them.
//
//   <tag>-cli [c0 10.200.1.2/24] ==veth== [p1 10.200.1.1/24] <tag>-prx [p2 10.200.2.1/24] ==veth== [s0 10.200.2.2/24] <tag>-srv
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const exec = promisify(execFile);

/** Why the namespace tests skip, or false when they can run: they need root, nothing else. */
export const SKIP_UNLESS_ROOT: string | false =
  process.getuid?.() === 0
    ? false
    : 'needs root: creates network namespaces and loads a tc-bpf program (CI runs as root)';

export async function sh(cmd: string, args: readonly string[]): Promise<string> {
  try {
    return (await exec(cmd, [...args], { maxBuffer: 1 << 26 })).stdout;
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')}: ${err.stderr?.trim() || err.message}`);
  }
}

/** Runs a command inside a namespace, keeping the host's mounts (so /sys/fs/bpf is ours). */
export async function inNs(netns: string, cmd: string, args: readonly string[]): Promise<string> {
  return sh('nsenter', [`--net=/run/netns/${netns}`, cmd, ...args]);
}

export interface Topology {
  readonly ns: { readonly cli: string; readonly prx: string; readonly srv: string };
  /** interface names: c0 in cli, p1 and p2 in prx, s0 in srv */
  readonly dev: { readonly c0: string; readonly p1: string; readonly p2: string; readonly s0: string };
  readonly addr: {
    readonly client: string;
    readonly proxyA: string;
    readonly proxyB: string;
    readonly server: string;
  };
  /** a unique pin directory for this topology's datapath */
  readonly pinDir: string;
  /** with `mgmt`: the proxy namespace's address on a link to this (the test's) namespace, where
   * the proxy's REST API is reached from here (10.200.9.2; this side is 10.200.9.1) */
  readonly mgmt?: string;
  destroy(): Promise<void>;
}

/** Creates the three namespaces and their links; on failure removes whatever it created. */
export async function createTopology(tag: string, opts: { mgmt?: boolean } = {}): Promise<Topology> {
  const base = `l7c-ofl-${process.pid}-${tag}`;
  const ns = { cli: `${base}-cli`, prx: `${base}-prx`, srv: `${base}-srv` };
  const dev = { c0: 'ofl-c0', p1: 'ofl-p1', p2: 'ofl-p2', s0: 'ofl-s0' };
  const addr = { client: '10.200.1.2', proxyA: '10.200.1.1', proxyB: '10.200.2.1', server: '10.200.2.2' };
  const created: string[] = [];
  const destroy = async () => {
    for (const n of created.splice(0)) await sh('ip', ['netns', 'del', n]).catch(() => {});
    await sh('rm', ['-rf', `/sys/fs/bpf/l7mp-compile/${ns.prx}`]).catch(() => {});
  };
  try {
    for (const n of Object.values(ns)) {
      await sh('ip', ['netns', 'add', n]);
      created.push(n);
      await sh('ip', ['-n', n, 'link', 'set', 'lo', 'up']);
    }
    await sh('ip', [
      'link',
      'add',
      dev.c0,
      'netns',
      ns.cli,
      'type',
      'veth',
      'peer',
      'name',
      dev.p1,
      'netns',
      ns.prx,
    ]);
    await sh('ip', [
      'link',
      'add',
      dev.s0,
      'netns',
      ns.srv,
      'type',
      'veth',
      'peer',
      'name',
      dev.p2,
      'netns',
      ns.prx,
    ]);
    const ifs: [string, string, string][] = [
      [ns.cli, dev.c0, `${addr.client}/24`],
      [ns.prx, dev.p1, `${addr.proxyA}/24`],
      [ns.prx, dev.p2, `${addr.proxyB}/24`],
      [ns.srv, dev.s0, `${addr.server}/24`],
    ];
    for (const [n, d, a] of ifs) {
      await sh('ip', ['-n', n, 'addr', 'add', a, 'dev', d]);
      await sh('ip', ['-n', n, 'link', 'set', d, 'up']);
    }
    await sh('ip', ['-n', ns.cli, 'route', 'add', '10.200.2.0/24', 'via', addr.proxyA]);
    await sh('ip', ['-n', ns.srv, 'route', 'add', '10.200.1.0/24', 'via', addr.proxyB]);
    if (opts.mgmt) {
      // Its host end goes away with the namespace (deleting a veth end deletes its peer).
      const host = `l7cm${process.pid}`.slice(0, 15);
      await sh('ip', ['link', 'add', host, 'type', 'veth', 'peer', 'name', 'ofl-m0', 'netns', ns.prx]);
      await sh('ip', ['addr', 'add', '10.200.9.1/30', 'dev', host]);
      await sh('ip', ['link', 'set', host, 'up']);
      await sh('ip', ['-n', ns.prx, 'addr', 'add', '10.200.9.2/30', 'dev', 'ofl-m0']);
      await sh('ip', ['-n', ns.prx, 'link', 'set', 'ofl-m0', 'up']);
    }
  } catch (e) {
    await destroy();
    throw e;
  }
  return {
    ns,
    dev,
    addr,
    pinDir: `/sys/fs/bpf/l7mp-compile/${ns.prx}`,
    ...(opts.mgmt ? { mgmt: '10.200.9.2' } : {}),
    destroy,
  };
}

/** `Udp:` counters of a namespace's /proc/net/snmp (InDatagrams, InCsumErrors, …). */
export async function udpCounters(netns: string): Promise<Record<string, number>> {
  const lines = (await inNs(netns, 'cat', ['/proc/net/snmp']))
    .split('\n')
    .filter((l) => l.startsWith('Udp:'));
  const names = lines[0]!.split(/\s+/).slice(1);
  const values = lines[1]!.split(/\s+/).slice(1).map(Number);
  return Object.fromEntries(names.map((n, i) => [n, values[i]!]));
}

/** Sets tx checksum offload of a device on or off (`ethtool -K DEV tx on|off`). */
export async function txChecksum(netns: string, dev: string, on: boolean): Promise<void> {
  await inNs(netns, 'ethtool', ['-K', dev, 'tx', on ? 'on' : 'off']);
}
