// The offload next to the real l7mp proxy running the same config in the proxy namespace: with the
// entries installed the datagrams never reach a socket there (the namespace's Udp InDatagrams stays
// put while the offload counters grow); removing them hands the same flow to the proxy (its
// sockets carry the same 5-tuples), adding them back takes it out of userspace again, and no
// datagram of the flow is lost on the way. Skips only when not root.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stats, syncEntries, type Datapath } from '../offload/sync.ts';
import type { OffloadEntry } from '../offload/model.ts';
import { SKIP_UNLESS_ROOT, createTopology, udpCounters, type Topology } from './support/netns.ts';
import { NetnsPeer } from './support/netns-peer.ts';
import { startProxyInNetns, type NetnsProxy } from './support/netns-proxy.ts';
import { compileGraph, deriveIn, loadIn } from './support/netns-offload.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('offload next to the real l7mp proxy', { skip: SKIP_UNLESS_ROOT, concurrency: 1 }, () => {
  let topo: Topology | undefined;
  let client: NetnsPeer | undefined;
  let server: NetnsPeer | undefined;
  let proxy: NetnsProxy | undefined;
  let tmp: string | undefined;
  let dp: Datapath;
  let entries: readonly OffloadEntry[];

  before(async () => {
    topo = await createTopology('px');
    const graph = await compileGraph();
    entries = (await deriveIn(topo, graph)).entries;
    dp = await loadIn(topo);
    client = await NetnsPeer.start(topo.ns.cli);
    server = await NetnsPeer.start(topo.ns.srv);
    await client.bind('call-a', topo.addr.client, 4000);
    await server.bind('call-a', topo.addr.server, 7000, { echo: true });
    // The echo server must be up first: an ICMP port-unreachable would end the singleton session.
    tmp = await mkdtemp(join(tmpdir(), 'l7c-ofl-proxy-'));
    proxy = await startProxyInNetns(topo.ns.prx, graph, join(tmp, 'edge.json'));
  });

  after(async () => {
    await proxy?.stop();
    await client?.stop();
    await server?.stop();
    await topo?.destroy();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  /** datagrams received by sockets in the proxy namespace: the proxy's share of the traffic */
  const userspace = async () => (await udpCounters(topo!.ns.prx)).InDatagrams!;
  const offloaded = async () => (await stats(dp)).reduce((n, s) => n + s.packets, 0n);

  it('without entries the proxy carries the flow', async () => {
    await syncEntries(dp, []);
    const u0 = await userspace();
    await client!.send('call-a', { address: topo!.addr.proxyA, port: 5000 }, 50, 500);
    const got = await client!.waitFor('call-a', (s) => s.received >= 50);
    assert.equal(got.received, 50, proxy!.logs());
    assert.deepEqual(got.sources, { [`${topo!.addr.proxyA}:5000`]: 50 });
    assert.ok((await userspace()) - u0 >= 100, 'both directions went through sockets in the proxy namespace');
  });

  it('entries take a live flow out of userspace, removing them hands it back, adding them takes it out again: nothing lost', async () => {
    await client!.reset('call-a');
    await server!.reset('call-a');
    const N = 1200;
    const RATE = 400; // 3 s of traffic
    const flow = client!.send('call-a', { address: topo!.addr.proxyA, port: 5000 }, N, RATE);
    const phases: { phase: string; userspace: number; offloaded: bigint }[] = [];
    const mark = async (phase: string) =>
      phases.push({ phase, userspace: await userspace(), offloaded: await offloaded() });

    await sleep(300); // the proxy carries the start of the flow
    await syncEntries(dp, entries);
    await sleep(100);
    await mark('offloaded: start');
    await sleep(700);
    await mark('offloaded: end');
    await syncEntries(dp, []);
    await sleep(100);
    await mark('proxy: start');
    await sleep(700);
    await mark('proxy: end');
    await syncEntries(dp, entries);
    await sleep(100);
    await mark('offloaded again: start');
    await sleep(700);
    await mark('offloaded again: end');
    assert.equal((await flow).sent, N);

    const [o1, o2, p1, p2, a1, a2] = phases;
    const table = JSON.stringify(phases, (_k, v) => (typeof v === 'bigint' ? Number(v) : v));
    assert.equal(
      o2!.userspace,
      o1!.userspace,
      `offloaded: no datagram reached a socket in the proxy ns ${table}`,
    );
    assert.ok(o2!.offloaded - o1!.offloaded >= 200n, `offloaded: the counters grew ${table}`);
    assert.ok(p2!.userspace - p1!.userspace >= 200, `entries removed: the proxy carried the flow ${table}`);
    assert.equal(a2!.userspace, a1!.userspace, `offloaded again: out of userspace ${table}`);
    assert.ok(a2!.offloaded - a1!.offloaded >= 200n, `offloaded again: the counters grew ${table}`);

    const srv = await server!.waitFor('call-a', (s) => s.distinct >= N);
    const cli = await client!.waitFor('call-a', (s) => s.received >= N);
    assert.equal(srv.distinct, N, `server: every datagram of the flow arrived ${table}`);
    assert.deepEqual(
      srv.sources,
      { [`${topo!.addr.proxyB}:6000`]: srv.received },
      'always from the bind address',
    );
    assert.equal(cli.received, N, 'client: every echo came back');
    assert.deepEqual(cli.sources, { [`${topo!.addr.proxyA}:5000`]: N }, 'always from the listener');
  });
});
