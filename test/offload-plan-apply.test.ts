// The kernel offload inside `plan` and `apply` (issue 5): a Proxy with `spec.offload` gets its
// redirect entries planned beside its REST calls and written after them, against a real l7mp proxy
// in the proxy namespace (reached over a management veth) and real traffic. Covers: the first apply
// (REST objects, program load, entries) and its traffic taken out of userspace; an empty second
// plan; a route change touching exactly that route's entries; an entry deleted by hand shown and
// put back; a saved plan refused when the maps changed since; `--no-offload`. Skips only when not
// root.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileRepo } from '../runtime/compile-repo.ts';
import { planRepo } from '../runtime/reconcile/plan-repo.ts';
import { applyPlan } from '../runtime/reconcile/apply.ts';
import { proxyHasChanges } from '../runtime/plan/summary.ts';
import { renderPlanText } from '../cli/render/plan-text.ts';
import { datapathRef, stats } from '../offload/sync.ts';
import { bpftoolJson } from '../offload/exec.ts';
import type { ProxyPlan } from '../runtime/reconcile/types.ts';
import { SKIP_UNLESS_ROOT, createTopology, udpCounters, type Topology } from './support/netns.ts';
import { NetnsPeer } from './support/netns-peer.ts';
import { startProxyInNetns, type NetnsProxy } from './support/netns-proxy.ts';
import { OFFLOAD_EXAMPLE, compileGraph } from './support/netns-offload.ts';
import { runCli } from './support/run-cli.ts';
import { Cleanup, startWatcher, waitFor } from './support/watch-fixture.ts';
import { keyId } from '../offload/codec.ts';

const ADMIN_PORT = 18041;

describe('kernel offload in plan and apply', { skip: SKIP_UNLESS_ROOT, concurrency: 1 }, () => {
  let topo: Topology;
  let client: NetnsPeer | undefined;
  let server: NetnsPeer | undefined;
  let proxy: NetnsProxy | undefined;
  let tmp: string;
  let repo: string;

  const compiled = async () => {
    const res = await compileRepo(repo);
    assert.equal(res.hasErrors, false, JSON.stringify(res.diagnostics));
    return res;
  };
  const edgeOf = (plan: { proxies: readonly ProxyPlan[] }) => {
    const pp = plan.proxies.find((p) => p.proxy === 'edge');
    assert.ok(pp, 'edge is planned');
    return pp;
  };
  const ops = (pp: ProxyPlan) =>
    pp.offload!.sync.ops.map(
      (o) => `${o.kind} ${o.direction} ${o.match.src.address}:${o.match.src.port}->${o.match.dst.port}`,
    );
  const userspace = async () => (await udpCounters(topo.ns.prx)).InDatagrams!;

  before(async () => {
    topo = await createTopology('pa', { mgmt: true });
    tmp = await mkdtemp(join(tmpdir(), 'l7c-ofl-plan-'));
    repo = join(tmp, 'repo');
    await cp(OFFLOAD_EXAMPLE, repo, { recursive: true });
    const inv = join(repo, 'inventory.yaml');
    const text = await readFile(inv, 'utf8');
    const admin = `admin: {url: "http://127.0.0.1:${ADMIN_PORT}"}`;
    assert.ok(text.includes(admin), 'the example inventory has the admin URL this test rewrites');
    await writeFile(
      inv,
      text.replace(
        admin,
        `admin: {url: "http://${topo.mgmt}:${ADMIN_PORT}"}\n  offload: {netns: ${topo.ns.prx}}`,
      ),
    );
    // An empty proxy (just its REST controller); the echo server is up before the UDP singleton
    // listeners are created (an ICMP port-unreachable would end their session).
    const graph = await compileGraph(repo);
    const empty = {
      ...graph,
      listeners: [],
      rulelists: [],
      rules: [],
      routes: [],
      clusters: [],
      endpoints: [],
    };
    proxy = await startProxyInNetns(topo.ns.prx, empty, join(tmp, 'edge.json'));
    client = await NetnsPeer.start(topo.ns.cli);
    server = await NetnsPeer.start(topo.ns.srv);
    await client.bind('call-a', topo.addr.client, 4000);
    await client.bind('call-b', topo.addr.client, 4001);
    await server.bind('call-a', topo.addr.server, 7000, { echo: true });
    await server.bind('call-b', topo.addr.server, 7001, { echo: true });
  });

  after(async () => {
    await proxy?.stop();
    await client?.stop();
    await server?.stop();
    await topo?.destroy();
    if (tmp) await rm(tmp, { recursive: true, force: true });
  });

  it('the first plan shows the REST calls and, after them, the entries to add and the program to load', async () => {
    const { plan } = await planRepo(await compiled());
    const pp = edgeOf(plan);
    assert.ok(pp.calls.length > 0, 'REST calls');
    assert.equal(pp.offload?.error, undefined);
    assert.equal(pp.offload!.loaded, false);
    assert.deepEqual(pp.offload!.attach, ['ofl-p1', 'ofl-p2']);
    assert.deepEqual(ops(pp).sort(), [
      'add forward 10.200.1.2:4000->5000',
      'add forward 10.200.1.2:4001->5001',
      'add reverse 10.200.2.2:7000->6000',
      'add reverse 10.200.2.2:7001->6001',
    ]);
    assert.deepEqual(
      pp.offload!.sync.ops.map((o) => o.direction),
      ['reverse', 'reverse', 'forward', 'forward'],
      'replies get their way back first',
    );
    const text = renderPlanText(plan);
    assert.match(
      text,
      new RegExp(
        `kernel offload in network namespace ${topo.ns.prx} \\(after the REST calls; the program is loaded and attached to ofl-p1, ofl-p2 first\\):`,
      ),
    );
    assert.match(
      text,
      /\+ forward 10\.200\.1\.2:4000 → 10\.200\.1\.1:5000 {2}⇒ {2}10\.200\.2\.1:6000 → 10\.200\.2\.2:7000 out ofl-p2/,
    );
    assert.match(text, /stays in the userspace proxy:\n.*VirtualService\/signalling: .*\[server-mode\]/);
    assert.match(text, /; kernel offload: 4 to add, 0 to change, 0 to remove\.\n$/);
  });

  it('apply makes the REST calls, then loads the program and writes the entries: the calls leave userspace', async () => {
    const { plan, clientFor } = await planRepo(await compiled());
    const res = await applyPlan(plan, { clientFor, desired: (await compiled()).graphs });
    const edge = res.find((r) => r.proxy === 'edge')!;
    assert.equal(edge.status, 'applied', edge.error);
    assert.equal(edge.verified, true);
    assert.equal(edge.offload?.program, 'loaded');
    assert.ok(edge.offload!.written >= 8, 'four rules and their counters');

    const u0 = await userspace();
    for (const call of ['call-a', 'call-b'] as const) {
      const port = call === 'call-a' ? 5000 : 5001;
      await client!.send(call, { address: topo.addr.proxyA, port }, 100, 1000);
      const got = await client!.waitFor(call, (s) => s.received >= 100);
      assert.equal(got.received, 100, `${call}: every echo came back\n${proxy!.logs()}`);
      assert.deepEqual(got.sources, { [`${topo.addr.proxyA}:${port}`]: 100 }, `${call}: from the listener`);
    }
    assert.equal(await userspace(), u0, 'no datagram reached a socket in the proxy namespace');
    const counted = await stats(datapathRef({ netns: topo.ns.prx }));
    assert.deepEqual(
      counted.map((s) => Number(s.packets)),
      [100, 100, 100, 100],
    );
  });

  it('a second plan is empty and a second apply changes nothing', async () => {
    const { plan, clientFor } = await planRepo(await compiled());
    const pp = edgeOf(plan);
    assert.equal(proxyHasChanges(pp), false, JSON.stringify({ calls: pp.calls, ops: ops(pp) }));
    assert.equal(pp.offload!.sync.unchanged, 4);
    assert.match(renderPlanText(plan), /^No changes\./);
    const res = await applyPlan(plan, { clientFor, desired: (await compiled()).graphs });
    assert.equal(res[0]!.status, 'unchanged');
    assert.equal(res[0]!.offload, undefined, 'no offload write');
    const cli = await runCli(['plan', repo, '--detailed-exitcode']);
    assert.equal(cli.code, 0, cli.stderr + cli.stdout);
  });

  it("changing one call's bind port touches exactly that call's two paths", async () => {
    const calls = join(repo, 'calls.yaml');
    const text = await readFile(calls, 'utf8');
    await writeFile(
      calls,
      text.replace('bind: {address: 10.200.2.1, port: 6001}', 'bind: {address: 10.200.2.1, port: 6011}'),
    );
    const { plan, clientFor } = await planRepo(await compiled());
    const pp = edgeOf(plan);
    assert.ok(pp.calls.length > 0, 'the cluster is replaced through REST');
    assert.deepEqual(ops(pp), [
      'add reverse 10.200.2.2:7001->6011',
      'change forward 10.200.1.2:4001->5001',
      'remove reverse 10.200.2.2:7001->6001',
    ]);
    assert.equal(pp.offload!.sync.unchanged, 2, "call-a's entries stay");
    const cli = await runCli(['plan', repo, '--detailed-exitcode']);
    assert.equal(cli.code, 2, cli.stderr);
    assert.match(
      cli.stdout,
      /~ forward 10\.200\.1\.2:4001 → 10\.200\.1\.1:5001 {2}⇒ {2}10\.200\.2\.1:6011 → 10\.200\.2\.2:7001 out ofl-p2/,
    );
    assert.match(cli.stdout, /was 10\.200\.2\.1:6001 → 10\.200\.2\.2:7001 out ofl-p2/);

    const res = await applyPlan(plan, { clientFor, desired: (await compiled()).graphs });
    assert.equal(res[0]!.status, 'applied', res[0]!.error);
    await client!.reset('call-b');
    await server!.reset('call-b');
    await client!.send('call-b', { address: topo.addr.proxyA, port: 5001 }, 50, 1000);
    const got = await client!.waitFor('call-b', (s) => s.received >= 50);
    assert.equal(got.received, 50);
    const srv = await server!.stats('call-b');
    assert.deepEqual(srv.sources, { [`${topo.addr.proxyB}:6011`]: 50 }, 'sent from the new bind port');
    assert.equal(proxyHasChanges(edgeOf((await planRepo(await compiled())).plan)), false);
  });

  it('an entry deleted by hand is planned back; a saved plan is refused once the maps change', async () => {
    const ref = datapathRef({ netns: topo.ns.prx });
    const first = (await planRepo(await compiled())).plan;
    const victim = (await stats(ref)).find((s) => s.direction === 'forward')!;
    await bpftoolJson([
      'map',
      'delete',
      'pinned',
      ref.maps.rules,
      'key',
      'hex',
      ...keyId(victim.match).split(' '),
    ]);

    // `first` was made before the hand edit: stale, and nothing at all is changed.
    const { clientFor } = await planRepo(await compiled());
    const stale = await applyPlan(first, { clientFor, desired: (await compiled()).graphs });
    assert.equal(stale[0]!.status, 'stale');
    assert.match(stale[0]!.error!, /kernel offload maps changed since the plan was made/);
    assert.equal((await stats(ref)).length, 3, 'still missing');

    const { plan } = await planRepo(await compiled());
    const pp = edgeOf(plan);
    assert.equal(pp.calls.length, 0);
    assert.equal(ops(pp).length, 1);
    assert.match(ops(pp)[0]!, /^add forward /);
    const cli = await runCli(['apply', repo, '--auto-approve']);
    assert.equal(cli.code, 0, cli.stderr + cli.stdout);
    assert.match(cli.stdout, /kernel offload: \d+ map writes, verified/);
    assert.equal((await stats(ref)).length, 4, 'put back');
  });

  it('a map write failing after the REST calls hands the touched paths to the (already updated) proxy', async () => {
    const calls = join(repo, 'calls.yaml');
    const text = await readFile(calls, 'utf8');
    await writeFile(
      calls,
      text.replace('bind: {address: 10.200.2.1, port: 6000}', 'bind: {address: 10.200.2.1, port: 6010}'),
    );
    const { plan, clientFor } = await planRepo(await compiled());
    const pp = edgeOf(plan);
    const ref = datapathRef({ netns: topo.ns.prx });
    // A write that must fail (`exist` on a key that is not there), after the plan's own writes.
    const failing = `map update pinned ${ref.maps.rules} key hex ${'00 '.repeat(16).trim()} value hex ${'00 '.repeat(20).trim()} exist`;
    const tampered = {
      ...plan,
      proxies: [{ ...pp, offload: { ...pp.offload!, commands: [...pp.offload!.commands, failing] } }],
    };
    const res = await applyPlan(tampered, { clientFor, desired: (await compiled()).graphs });
    assert.equal(res[0]!.status, 'failed');
    assert.match(
      res[0]!.error!,
      /REST calls were applied and verified, but writing the kernel offload failed: .*the entries it touched were removed, so those paths run in the userspace proxy/,
    );
    const live = (await stats(ref)).map((s) => `${s.direction} ${s.match.src.port}->${s.match.dst.port}`);
    assert.deepEqual(
      live.sort(),
      ['forward 4001->5001', 'reverse 7001->6011'],
      "only call-b's paths are left",
    );

    await client!.reset('call-a');
    await server!.reset('call-a');
    const u0 = await userspace();
    await client!.send('call-a', { address: topo.addr.proxyA, port: 5000 }, 50, 500);
    const got = await client!.waitFor('call-a', (s) => s.received >= 50);
    assert.equal(got.received, 50, proxy!.logs());
    // The proxy's singleton session keeps its copy of the replaced cluster (bound to 6000) until
    // it is re-created: that is l7mp's make-before-break, the kernel path used the new port.
    const from = Object.keys((await server!.stats('call-a')).sources);
    assert.equal(from.length, 1);
    assert.match(from[0]!, /^10\.200\.2\.1:60[01]0$/);
    assert.ok((await userspace()) - u0 >= 100, 'call-a went through the proxy');

    const again = await planRepo(await compiled());
    assert.equal(edgeOf(again.plan).calls.length, 0, 'the REST part had converged');
    assert.equal(ops(edgeOf(again.plan)).length, 2, "call-a's two entries are planned back");
    const fixed = await applyPlan(again.plan, {
      clientFor: again.clientFor,
      desired: (await compiled()).graphs,
    });
    assert.equal(fixed[0]!.status, 'applied', fixed[0]!.error);
  });

  it('watch: an edit rewrites the entries, and an entry deleted by hand is put back by the periodic pass', async () => {
    const ref = datapathRef({ netns: topo.ns.prx });
    const cleanup = new Cleanup();
    const log: string[] = [];
    const explain = async () =>
      `${JSON.stringify(await stats(ref), (_k, v) => (typeof v === 'bigint' ? Number(v) : v))}\n${log.join('\n')}`;
    const live = async () =>
      (await stats(ref)).map((e) => `${e.direction} ${e.match.src.port}->${e.match.dst.port}`).sort();
    try {
      await startWatcher(
        { from: { dir: repo }, intervalMs: 0, debounceMs: 100, resyncMs: 500, drift: 'correct' },
        cleanup,
        log,
      );
      const calls = join(repo, 'calls.yaml');
      const text = await readFile(calls, 'utf8');
      await writeFile(
        calls,
        text.replace('bind: {address: 10.200.2.1, port: 6011}', 'bind: {address: 10.200.2.1, port: 6001}'),
      );
      await waitFor(
        'the watcher moves call-b back to bind port 6001',
        async () => ((await live()).includes('reverse 7001->6001') ? true : undefined),
        { timeoutMs: 30_000, explain },
      );
      const victim = (await stats(ref)).find((e) => e.direction === 'reverse')!;
      await bpftoolJson([
        'map',
        'delete',
        'pinned',
        ref.maps.rules,
        'key',
        'hex',
        ...keyId(victim.match).split(' '),
      ]);
      await waitFor(
        'the periodic pass puts the deleted entry back',
        async () => ((await live()).length === 4 ? true : undefined),
        { timeoutMs: 30_000, explain },
      );
      assert.deepEqual(await live(), [
        'forward 4000->5000',
        'forward 4001->5001',
        'reverse 7000->6010',
        'reverse 7001->6001',
      ]);
      assert.ok(
        log.some((l) => /edge/.test(l)),
        `the watcher logged its passes:\n${log.join('\n')}`,
      );
    } finally {
      await cleanup.run();
    }
  });

  it('--no-offload leaves the offload out of the plan', async () => {
    const cli = await runCli(['plan', repo, '--no-offload', '--json']);
    assert.equal(cli.code, 0, cli.stderr);
    const doc = JSON.parse(cli.stdout) as { proxies: { offload?: unknown }[] };
    assert.equal(doc.proxies[0]!.offload, undefined);
    const withOffload = JSON.parse((await runCli(['plan', repo, '--json'])).stdout) as {
      proxies: { offload?: { summary: unknown; loaded: boolean } }[];
    };
    assert.deepEqual(withOffload.proxies[0]!.offload!.summary, { add: 0, change: 0, remove: 0 });
    assert.equal(withOffload.proxies[0]!.offload!.loaded, true);
  });

  it("`offload status --proxy` finds the namespace in the proxy's spec.offload and says why the rest stays", async () => {
    const r = await runCli(['offload', 'status', repo, '--proxy', 'edge']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.match(/^(forward|reverse) /gm)?.length, 4);
    assert.match(r.stdout, /VirtualService\/signalling: .*\[server-mode\]/);
  });
});
