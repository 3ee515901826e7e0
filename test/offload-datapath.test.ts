// The kernel offload carries real datagrams between real network namespaces (facts §1.1) with NO
// proxy process: the entries derived from examples/offload are installed in the proxy namespace's
// maps, and the client's datagrams reach the server and the replies come back, rewritten, with
// correct checksums and exact counters. Skips only when not root.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dumpEntries, stats, syncEntries, type Datapath } from '../offload/sync.ts';
import type { OffloadEntry } from '../offload/model.ts';
import { SKIP_UNLESS_ROOT, createTopology, txChecksum, udpCounters, type Topology } from './support/netns.ts';
import { NetnsPeer } from './support/netns-peer.ts';
import { CALLS, compileGraph, deriveIn, loadIn } from './support/netns-offload.ts';

describe('kernel offload datapath (no proxy process)', { skip: SKIP_UNLESS_ROOT, concurrency: 1 }, () => {
  let topo: Topology | undefined;
  let client: NetnsPeer | undefined;
  let server: NetnsPeer | undefined;
  let dp: Datapath;
  let entries: readonly OffloadEntry[];

  before(async () => {
    topo = await createTopology('dp');
    const derived = await deriveIn(topo, await compileGraph());
    assert.equal(derived.error, undefined);
    entries = derived.entries;
    dp = await loadIn(topo);
    client = await NetnsPeer.start(topo.ns.cli);
    server = await NetnsPeer.start(topo.ns.srv);
    for (const c of CALLS) {
      await client.bind(c.name, topo.addr.client, c.clientPort);
      await server.bind(c.name, topo.addr.server, c.serverPort, { echo: true });
    }
  });

  after(async () => {
    await client?.stop();
    await server?.stop();
    await topo?.destroy();
  });

  const resetAll = async () => {
    for (const c of CALLS) {
      await client!.reset(c.name);
      await server!.reset(c.name);
    }
  };

  it('without entries the datagrams go nowhere (nothing listens on the proxy)', async () => {
    await syncEntries(dp, []);
    await resetAll();
    await client!.send('call-a', { address: topo!.addr.proxyA, port: 5000 }, 5, 200);
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await server!.stats('call-a')).received, 0);
  });

  it('with the derived entries: datagrams reach the server and replies come back rewritten; stats are exact', async () => {
    assert.equal(entries.length, 4);
    const res = await syncEntries(dp, entries);
    assert.equal(res.plan.ops.length, 4);
    await resetAll();
    const N = 200;
    for (const c of CALLS)
      await client!.send(c.name, { address: topo!.addr.proxyA, port: c.listenerPort }, N, 2000);
    for (const c of CALLS) {
      const srv = await server!.waitFor(c.name, (s) => s.received >= N);
      assert.equal(srv.received, N, `${c.name}: server received`);
      assert.equal(srv.distinct, N);
      // The server sees the proxy's bind address and port, never the client.
      assert.deepEqual(srv.sources, { [`${topo!.addr.proxyB}:${c.bindPort}`]: N });
      const cli = await client!.waitFor(c.name, (s) => s.received >= N);
      assert.equal(cli.received, N, `${c.name}: client received the echoes`);
      // The replies come from the listener's address and port.
      assert.deepEqual(cli.sources, { [`${topo!.addr.proxyA}:${c.listenerPort}`]: N });
    }
    const st = await stats(dp);
    assert.equal(st.length, 4);
    for (const s of st) {
      assert.equal(s.packets, BigInt(N), `${s.direction} ${s.match.src.port}→${s.match.dst.port}`);
      assert.equal(s.bytes, BigInt(N * (20 + 8 + 64)), 'bytes: IPv4 total length');
      assert.ok(s.lastSeenNs > 0n && s.lastSeenNs <= process.hrtime.bigint(), 'last seen: CLOCK_MONOTONIC');
    }
  });

  it('checksums stay valid when the egress device finalises them (tx checksum offload off), for senders with and without it', async () => {
    await syncEntries(dp, entries);
    // Egress tx offload off in the proxy namespace: the receivers really verify (facts §1.4).
    await txChecksum(topo!.ns.prx, topo!.dev.p2, false);
    await txChecksum(topo!.ns.prx, topo!.dev.p1, false);
    try {
      for (const senderTx of [true, false]) {
        await txChecksum(topo!.ns.cli, topo!.dev.c0, senderTx);
        await txChecksum(topo!.ns.srv, topo!.dev.s0, senderTx);
        await resetAll();
        const srvBefore = await udpCounters(topo!.ns.srv);
        const cliBefore = await udpCounters(topo!.ns.cli);
        const N = 100;
        await client!.send('call-a', { address: topo!.addr.proxyA, port: 5000 }, N, 2000);
        const srv = await server!.waitFor('call-a', (s) => s.received >= N);
        const cli = await client!.waitFor('call-a', (s) => s.received >= N);
        const srvAfter = await udpCounters(topo!.ns.srv);
        const cliAfter = await udpCounters(topo!.ns.cli);
        const what = `sender tx checksum offload ${senderTx ? 'on' : 'off'}`;
        assert.equal(srvAfter.InCsumErrors, srvBefore.InCsumErrors, `${what}: server InCsumErrors`);
        assert.equal(cliAfter.InCsumErrors, cliBefore.InCsumErrors, `${what}: client InCsumErrors`);
        assert.equal(srv.received, N, `${what}: server received`);
        assert.equal(cli.received, N, `${what}: client received`);
      }
    } finally {
      await txChecksum(topo!.ns.prx, topo!.dev.p2, true);
      await txChecksum(topo!.ns.prx, topo!.dev.p1, true);
      await txChecksum(topo!.ns.cli, topo!.dev.c0, true);
      await txChecksum(topo!.ns.srv, topo!.dev.s0, true);
    }
  });

  it('loading again is a no-op; a new build upgrades the program and keeps rules and counters', async () => {
    const again = await loadIn(topo!);
    assert.equal(again.program, 'unchanged');
    assert.deepEqual(
      again.attached.map((a) => a.action),
      ['unchanged', 'unchanged'],
    );
    const before = await dumpEntries(dp);
    const upgraded = await loadIn(topo!, await rebuiltObject());
    assert.equal(upgraded.program, 'upgraded');
    assert.notEqual(upgraded.progId, again.progId);
    assert.deepEqual(
      upgraded.attached.map((a) => a.action),
      ['replaced', 'replaced'],
    );
    const after = await dumpEntries(dp);
    assert.deepEqual(after.rules, before.rules);
    assert.deepEqual([...after.stats.entries()], [...before.stats.entries()]);
    // ...and the new program forwards.
    await client!.reset('call-b');
    await client!.send('call-b', { address: topo!.addr.proxyA, port: 5001 }, 10, 1000);
    assert.equal((await client!.waitFor('call-b', (s) => s.received >= 10)).received, 10);
  });
});

/** The same program built with DWARF 4 debug info: a different object (so a new version), same behaviour. */
async function rebuiltObject(): Promise<string> {
  const { clangArgs } = await import('../offload/build.ts');
  const { run } = await import('../offload/exec.ts');
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const out = `${mkdtempSync(`${tmpdir()}/l7c-ofl-obj-`)}/ofl_fwd.o`;
  await run(
    'clang',
    clangArgs(out).map((a) => (a === '-g' ? '-gdwarf-4' : a)),
  );
  return out;
}
