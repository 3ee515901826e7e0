// `l7mp-compile offload plan|apply|status|unload` against a real proxy namespace, in-process (the
// same code path as bin/l7mp-compile). The privileges check is tested without root too.
import { after, before, describe, it, test } from 'node:test';
import assert from 'node:assert/strict';
import { missingPrivileges } from '../offload/exec.ts';
import { runCli } from './support/run-cli.ts';
import { SKIP_UNLESS_ROOT, createTopology, type Topology } from './support/netns.ts';
import { NetnsPeer } from './support/netns-peer.ts';
import { OFFLOAD_EXAMPLE } from './support/netns-offload.ts';
import { buildProgram } from '../offload/build.ts';

test('without CAP_BPF/CAP_NET_ADMIN the error says that root is needed', () => {
  const msg = missingPrivileges({}, 0n);
  assert.match(msg ?? '', /needs root/);
  assert.match(msg ?? '', /CAP_BPF/);
  assert.match(msg ?? '', /CAP_NET_ADMIN/);
  assert.match(missingPrivileges({ netns: 'x' }, 1n << 12n) ?? '', /CAP_SYS_ADMIN/);
  // root: everything
  assert.equal(missingPrivileges({ netns: 'x' }, (1n << 41n) - 1n), undefined);
});

describe('offload CLI in a network namespace', { skip: SKIP_UNLESS_ROOT, concurrency: 1 }, () => {
  let topo: Topology | undefined;
  let client: NetnsPeer | undefined;
  let server: NetnsPeer | undefined;

  before(async () => {
    await buildProgram();
    topo = await createTopology('cli');
    client = await NetnsPeer.start(topo.ns.cli);
    server = await NetnsPeer.start(topo.ns.srv);
    await client.bind('a', topo.addr.client, 4000);
    await server.bind('a', topo.addr.server, 7000, { echo: true });
  });
  after(async () => {
    await client?.stop();
    await server?.stop();
    await topo?.destroy();
  });

  const cli = (args: string[]) =>
    runCli(['offload', ...args, '--netns', topo!.ns.prx, '--pin-dir', topo!.pinDir]);

  it('plan before anything is loaded: 4 entries to add, the server-mode listener with its reason', async () => {
    const r = await cli(['plan', OFFLOAD_EXAMPLE, '--proxy', 'edge']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /not loaded yet/);
    assert.match(r.stdout, /4 to add, 0 to change, 0 to remove, 0 unchanged/);
    assert.match(
      r.stdout,
      /\+ forward\s+10\.200\.1\.2:4000 → 10\.200\.1\.1:5000 {2}⇒ {2}10\.200\.2\.1:6000 → 10\.200\.2\.2:7000 out ofl-p2/,
    );
    assert.match(
      r.stdout,
      /\+ reverse\s+10\.200\.2\.2:7000 → 10\.200\.2\.1:6000 {2}⇒ {2}10\.200\.1\.1:5000 → 10\.200\.1\.2:4000 out ofl-p1/,
    );
    assert.match(r.stdout, /VirtualService\/signalling: .*\[server-mode\]/);
    const j = JSON.parse((await cli(['plan', OFFLOAD_EXAMPLE, '--proxy', 'edge', '--json'])).stdout);
    assert.deepEqual(j.summary, { add: 4, change: 0, remove: 0, unchanged: 0 });
    assert.deepEqual(
      j.ops.map((o: { kind: string; direction: string }) => `${o.kind} ${o.direction}`),
      ['add reverse', 'add reverse', 'add forward', 'add forward'],
    );
    assert.deepEqual(
      j.not_offloaded.map((n: { code: string; object: string }) => `${n.object} ${n.code}`),
      ['VirtualService/signalling server-mode'],
    );
  });

  it('apply loads, attaches and writes; a second apply and plan change nothing', async () => {
    const r = await cli(['apply', OFFLOAD_EXAMPLE, '--proxy', 'edge']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /program loaded/);
    assert.match(r.stderr, /attached on ofl-p1 ingress/);
    assert.match(r.stdout, /Applied: 4 to add/);
    const again = await cli(['apply', OFFLOAD_EXAMPLE, '--proxy', 'edge']);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(again.stderr, '');
    assert.match(again.stdout, /Applied: 0 to add, 0 to change, 0 to remove, 4 unchanged/);
    const plan = await cli(['plan', OFFLOAD_EXAMPLE, '--proxy', 'edge']);
    assert.match(plan.stdout, /Plan: 0 to add, 0 to change, 0 to remove, 4 unchanged/);
  });

  it('status lists the live entries with their counters', async () => {
    await client!.send('a', { address: topo!.addr.proxyA, port: 5000 }, 25, 500);
    await client!.waitFor('a', (s) => s.received >= 25);
    const r = await cli(['status']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^DIRECTION\s+MATCH\s+REWRITE\s+PACKETS\s+BYTES\s+LAST SEEN/);
    assert.match(
      r.stdout,
      /forward\s+10\.200\.1\.2:4000 → 10\.200\.1\.1:5000\s+10\.200\.2\.1:6000 → 10\.200\.2\.2:7000 out ofl-p2\s+25\s+2300\s+\d+\.\ds ago/,
    );
    const j = JSON.parse((await cli(['status', '--json'])).stdout);
    assert.equal(j.entries.length, 4);
    const counts = j.entries.map(
      (e: { direction: string; match: { src: { port: number } }; packets: number }) =>
        `${e.direction} ${e.match.src.port} ${e.packets}`,
    );
    assert.deepEqual(counts.sort(), [
      'forward 4000 25',
      'forward 4001 0',
      'reverse 7000 25',
      'reverse 7001 0',
    ]);
    const why = await cli(['status', OFFLOAD_EXAMPLE, '--proxy', 'edge']);
    assert.equal(why.code, 0, why.stderr);
    assert.match(
      why.stdout,
      /out ofl-p2\s+25\s+2300[^\n]*\n[\s\S]*\nNot offloaded \(these stay in the userspace proxy\):\n {2}VirtualService\/signalling: .*\[server-mode\]/,
    );
    const whyJson = JSON.parse((await cli(['status', OFFLOAD_EXAMPLE, '--proxy', 'edge', '--json'])).stdout);
    assert.deepEqual(
      whyJson.not_offloaded.map((n: { code: string }) => n.code),
      ['server-mode'],
    );
  });

  it('errors are one clear line: unknown proxy, unknown namespace', async () => {
    const p = await cli(['plan', OFFLOAD_EXAMPLE, '--proxy', 'nope']);
    assert.equal(p.code, 1);
    assert.match(p.stderr, /no proxy "nope"/);
    const n = await runCli(['offload', 'status', '--netns', `l7c-ofl-${process.pid}-missing`]);
    assert.equal(n.code, 1);
    assert.match(n.stderr, /no network namespace/);
    assert.doesNotMatch(n.stderr + p.stderr, /\n\s+at /);
  });

  it('unload detaches and removes the maps; status then says it is not loaded', async () => {
    const r = await cli(['unload']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /detached from ofl-p1, ofl-p2/);
    const s = await cli(['status']);
    assert.equal(s.code, 1);
    assert.match(s.stderr, /not loaded/);
  });
});
