// The sync against real pinned maps: the same config twice writes nothing; changing one route
// touches exactly its two entries (and nobody else's counters); more entries than the map holds
// fail with a clear error before anything is written. Skips only when not root.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dumpEntries, syncEntries, type Datapath } from '../offload/sync.ts';
import { keyId } from '../offload/codec.ts';
import { OffloadError } from '../offload/exec.ts';
import type { OffloadEntry } from '../offload/model.ts';
import { MAX_ENTRIES } from '../offload/layout.ts';
import { SKIP_UNLESS_ROOT, createTopology, type Topology } from './support/netns.ts';
import { NetnsPeer } from './support/netns-peer.ts';
import { OFFLOAD_EXAMPLE, compileGraph, deriveIn, loadIn } from './support/netns-offload.ts';

describe('offload sync against the pinned maps', { skip: SKIP_UNLESS_ROOT, concurrency: 1 }, () => {
  let topo: Topology | undefined;
  let tmp: string | undefined;
  let dp: Datapath;
  let entries: readonly OffloadEntry[];

  before(async () => {
    topo = await createTopology('sy');
    entries = (await deriveIn(topo, await compileGraph())).entries;
    dp = await loadIn(topo);
    tmp = await mkdtemp(join(tmpdir(), 'l7c-ofl-sync-'));
  });
  after(async () => {
    await topo?.destroy();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('the same config twice: the second sync writes nothing', async () => {
    const first = await syncEntries(dp, entries);
    assert.equal(first.plan.ops.length, 4);
    assert.equal(first.commands.length, 8, 'four rules, each with its zeroed counters');
    const before = await dumpEntries(dp);
    const second = await syncEntries(dp, entries);
    assert.deepEqual(second.commands, []);
    assert.equal(second.plan.unchanged, 4);
    assert.deepEqual((await dumpEntries(dp)).rules, before.rules);
  });

  it("changing one route touches exactly its two entries and keeps the other path's counters", async () => {
    await syncEntries(dp, entries);
    // Some traffic on call-a, so it has counters to keep.
    const client = await NetnsPeer.start(topo!.ns.cli);
    const server = await NetnsPeer.start(topo!.ns.srv);
    try {
      await client.bind('a', topo!.addr.client, 4000);
      await server.bind('a', topo!.addr.server, 7000, { echo: true });
      await client.send('a', { address: topo!.addr.proxyA, port: 5000 }, 10, 1000);
      await client.waitFor('a', (s) => s.received >= 10);
    } finally {
      await client.stop();
      await server.stop();
    }
    const before = await dumpEntries(dp);

    // call-b's target moves to server port 7002.
    const repo = join(tmp!, 'repo');
    await cp(OFFLOAD_EXAMPLE, repo, { recursive: true });
    const calls = join(repo, 'calls.yaml');
    const text = await readFile(calls, 'utf8');
    assert.match(text, /port: 7001/);
    await writeFile(calls, text.replace('port: 7001', 'port: 7002'));
    const changed = (await deriveIn(topo!, await compileGraph(repo))).entries;

    const oldB = entries.filter((e) => e.match.src.port === 4001 || e.match.src.port === 7001);
    const newB = changed.filter((e) => e.match.src.port === 4001 || e.match.src.port === 7002);
    assert.equal(oldB.length, 2);
    assert.equal(newB.length, 2);
    const callB = new Set([...oldB, ...newB].map((e) => keyId(e.match)));

    const res = await syncEntries(dp, changed);
    assert.deepEqual(
      res.plan.ops.map((o) => `${o.kind} ${o.direction} ${o.match.src.port}→${o.match.dst.port}`),
      // make before break: the new reply entry first, then the forward change, the old reply entry last
      ['add reverse 7002→6001', 'change forward 4001→5001', 'remove reverse 7001→6001'],
    );
    for (const op of res.plan.ops) assert.ok(callB.has(op.keyHex), `${op.kind} touches only call-b`);
    for (const e of entries.filter((x) => !oldB.includes(x)))
      assert.ok(!res.commands.some((c) => c.includes(keyId(e.match))), 'no command names a call-a key');

    const after = await dumpEntries(dp);
    for (const e of entries.filter((x) => !oldB.includes(x))) {
      const k = keyId(e.match);
      assert.deepEqual(after.stats.get(k), before.stats.get(k), 'call-a counters kept');
      assert.ok(after.stats.get(k)!.packets >= 10n);
    }
    assert.equal(after.rules.length, 4);
    assert.equal((await syncEntries(dp, changed)).commands.length, 0, 'and then nothing more to do');
  });

  it('more entries than the map holds: a clear error, and nothing is written', async () => {
    await syncEntries(dp, entries);
    const before = await dumpEntries(dp);
    const tooMany: OffloadEntry[] = [...entries];
    const template = entries[0]!;
    for (let i = 0; tooMany.length <= MAX_ENTRIES; i++)
      tooMany.push({
        ...template,
        match: {
          src: { address: `10.201.${(i >> 8) & 255}.${i & 255}`, port: 1000 + (i >> 16) },
          dst: template.match.dst,
        },
      });
    assert.equal(tooMany.length, MAX_ENTRIES + 1);
    await assert.rejects(syncEntries(dp, tooMany), (e: unknown) => {
      assert.ok(e instanceof OffloadError);
      assert.equal(e.code, 'capacity');
      assert.match(e.message, /65537 entries do not fit the map's capacity of 65536: nothing was written/);
      return true;
    });
    const after = await dumpEntries(dp);
    assert.deepEqual(after.rules, before.rules);
    assert.deepEqual([...after.stats.keys()], [...before.stats.keys()]);
  });
});
