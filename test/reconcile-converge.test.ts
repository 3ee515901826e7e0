// The reconciler against real l7mp processes: every example is planned and applied to EMPTY real
// proxies (`startEmbedded`, as `l7mp-compile up` does), must converge (every proxy applied and
// verified), must carry real traffic, and must then be stable: a second plan is empty and a second
// apply makes no call. Then once through the CLI: `plan --detailed-exitcode` says 2 before and 0
// after `apply --auto-approve`, and `apply` without confirmation and without a terminal refuses.
// Every test starts its own proxies and stops them in `finally` (and `after`, whatever happened).
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileRepo } from '../runtime/compile-repo.ts';
import { startEmbedded, type Embedded } from '../runtime/embedded.ts';
import { planRepo } from '../runtime/reconcile/plan-repo.ts';
import { applyPlan, type ApplyEvent, type ProxyApplyResult } from '../runtime/reconcile/apply.ts';
import type { CompileResult } from '../compiler/pipeline.ts';
import type { Plan } from '../runtime/reconcile/types.ts';
import { exampleDir } from './support/examples.ts';
import { runCli } from './support/run-cli.ts';
import {
  jsonSocketUdpConnect,
  udpEchoServer,
  udpRoundTrip,
  unixEchoServer,
  type JsonSocketUdpClient,
} from './support/traffic.ts';

// Generous: a loaded 2-core machine starts an l7mp process in about a second, sometimes in ten.
const TEST_TIMEOUT = 240_000;

/** Things to undo, newest first, each at most once; errors are collected, never thrown midway. */
class Cleanup {
  private readonly steps: (() => Promise<void>)[] = [];
  add(step: () => Promise<void>): void {
    this.steps.push(step);
  }
  async run(): Promise<void> {
    const errors: unknown[] = [];
    for (const step of this.steps.splice(0).reverse()) await step().catch((e) => errors.push(e));
    if (errors.length) throw new AggregateError(errors, 'cleanup failed');
  }
}

/** Proxies still running if a test ended without stopping them: `after` stops them. */
const running = new Set<Embedded>();
after(async () => {
  await Promise.all([...running].map((e) => e.stop()));
  running.clear();
});

async function compiled(name: string): Promise<CompileResult> {
  const res = await compileRepo(exampleDir(name));
  assert.deepEqual(
    res.diagnostics.filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.file}: ${d.message}`),
    [],
    `${name} must compile without errors`,
  );
  return res;
}

/** Starts the example's proxies empty (only their REST controller), registered for cleanup. */
async function startEmpty(res: CompileResult, cleanup: Cleanup): Promise<Embedded> {
  const emb = await startEmbedded(res.model.proxies);
  running.add(emb);
  cleanup.add(async () => {
    running.delete(emb);
    await emb.stop();
  });
  assert.deepEqual(emb.skipped, [], 'every proxy of the example is on loopback');
  assert.equal(emb.started.length, res.graphs.length, 'one real proxy per compiled graph');
  return emb;
}

/** On failure, show what the proxies said. */
async function withLogs<T>(emb: Embedded | undefined, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (e) {
    if (emb && e instanceof Error)
      e.message += emb.started
        .map((s) => `\n--- proxy ${s.proxy} (pid ${s.local.pid}) ---\n${s.local.logs().slice(-3000)}`)
        .join('');
    throw e;
  }
}

const showPlan = (plan: Plan) =>
  plan.proxies
    .map(
      (p) =>
        `${p.proxy}:\n${p.calls.map((c) => `  ${c.action} ${c.kind} ${c.name} (cut ${c.sessionsCut})`).join('\n')}`,
    )
    .join('\n');

const showResults = (results: readonly ProxyApplyResult[]) => JSON.stringify(results, null, 2);

/**
 * From empty proxies: the first plan only creates (nothing to replace, delete or cut), apply
 * executes every call and verifies every proxy.
 */
async function convergeFromEmpty(res: CompileResult): Promise<Plan> {
  const { plan, clientFor } = await planRepo(res);
  assert.deepEqual(plan.unreachable, [], 'every proxy answers');
  assert.deepEqual(plan.proxies.map((p) => p.proxy).sort(), res.graphs.map((g) => g.proxy).sort());
  for (const p of plan.proxies) {
    assert.ok(p.calls.length > 0, `${p.proxy}: an empty proxy needs calls`);
    const expected = res.graphs.find((g) => g.proxy === p.proxy)!;
    const objects =
      expected.listeners.length +
      expected.rulelists.length +
      expected.rules.length +
      expected.routes.length +
      expected.clusters.length +
      expected.endpoints.length;
    assert.equal(p.calls.length, objects, `${p.proxy}: one create per object\n${showPlan(plan)}`);
    for (const c of p.calls) {
      assert.equal(c.action, 'create', `${p.proxy}: from empty, only creates\n${showPlan(plan)}`);
      assert.equal(c.sessionsCut, 0);
    }
  }
  const results = await applyPlan(plan, { clientFor, desired: res.graphs });
  assert.equal(results.length, plan.proxies.length);
  for (const r of results) {
    assert.equal(r.status, 'applied', `${r.proxy}: ${showResults(results)}\n${showPlan(plan)}`);
    assert.equal(r.verified, true, `${r.proxy}: verified`);
    assert.equal(r.callsMade, plan.proxies.find((p) => p.proxy === r.proxy)!.calls.length);
  }
  return plan;
}

/** Converged and stable: the next plan is empty on every proxy and applying it makes no call. */
async function assertStable(res: CompileResult): Promise<void> {
  const { plan, clientFor } = await planRepo(res);
  assert.deepEqual(plan.unreachable, []);
  for (const p of plan.proxies)
    assert.equal(p.calls.length, 0, `${p.proxy}: the second plan must be empty\n${showPlan(plan)}`);
  const calls: ApplyEvent[] = [];
  const results = await applyPlan(plan, {
    clientFor,
    desired: res.graphs,
    onEvent: (e) => void (e.type === 'call' && calls.push(e)),
  });
  assert.deepEqual(calls, [], 'a second apply makes zero calls');
  for (const r of results) {
    assert.equal(r.status, 'unchanged', `${r.proxy}: ${showResults(results)}`);
    assert.equal(r.callsMade, 0);
    assert.equal(r.verified, true);
  }
}

const tagged = (tag: string, payloads: readonly string[]) => payloads.map((p) => `${tag}${p}`);

describe('every example converges on empty real l7mp proxies', { concurrency: 1 }, () => {
  it(
    'quickstart: plan + apply converge, UDP goes round trip, then nothing is left to do',
    { timeout: TEST_TIMEOUT },
    async () => {
      const cleanup = new Cleanup();
      let emb: Embedded | undefined;
      try {
        const echo = await udpEchoServer({ port: 15055, tag: 'echo:' });
        cleanup.add(() => echo.close());
        const res = await compiled('quickstart');
        emb = await startEmpty(res, cleanup);
        const started = emb;
        await withLogs(started, async () => {
          await convergeFromEmpty(res);
          const payloads = Array.from({ length: 5 }, (_, i) => `converge-qs-${i}`);
          assert.deepEqual(await udpRoundTrip(15053, payloads), tagged('echo:', payloads));
          await assertStable(res);
          // Still carrying traffic after the empty apply.
          const more = ['converge-qs-after-0', 'converge-qs-after-1'];
          assert.deepEqual(await udpRoundTrip(15053, more), tagged('echo:', more));
        });
      } finally {
        await cleanup.run();
      }
    },
  );

  it(
    'protocol-conversion: plan + apply converge, UDP reaches the UNIX-socket backend, then nothing is left to do',
    { timeout: TEST_TIMEOUT },
    async () => {
      const cleanup = new Cleanup();
      let emb: Embedded | undefined;
      try {
        // The socket file the example's naked Service `uds-backend` names.
        const uds = await unixEchoServer({ tag: 'uds:', path: '/tmp/l7mp-compile-protocol-conversion.sock' });
        cleanup.add(() => uds.close());
        const res = await compiled('protocol-conversion');
        emb = await startEmpty(res, cleanup);
        const started = emb;
        await withLogs(started, async () => {
          await convergeFromEmpty(res);
          const payloads = Array.from({ length: 4 }, (_, i) => `converge-pc-${i}`);
          // Patient re-sends: two copies in flight could reach the byte-stream backend as one read.
          assert.deepEqual(
            await udpRoundTrip(16000, payloads, { replyTimeoutMs: 5000 }),
            tagged('uds:', payloads),
          );
          assert.deepEqual(
            [...new Set(uds.received)],
            payloads,
            'each datagram reached the socket, in order',
          );
          // The ingress chain's Logger (log_file "-") saw every datagram on its way in.
          const ingress = started.started.find((s) => s.proxy === 'ingress');
          assert.ok(ingress, 'the ingress proxy runs');
          for (const p of payloads)
            assert.ok(ingress.local.logs().includes(`udp-gateway: ${p}`), `Logger output has ${p}`);
          await assertStable(res);
        });
      } finally {
        await cleanup.run();
      }
    },
  );

  it(
    'media-plane: plan + apply converge, the rendezvous joins a call, then nothing is left to do',
    { timeout: TEST_TIMEOUT },
    async () => {
      const cleanup = new Cleanup();
      let emb: Embedded | undefined;
      try {
        const res = await compiled('media-plane');
        emb = await startEmpty(res, cleanup);
        const started = emb;
        await withLogs(started, async () => {
          await convergeFromEmpty(res);
          const clients: JsonSocketUdpClient[] = [];
          cleanup.add(async () => void (await Promise.all(clients.map((c) => c.close()))));
          const alice = await jsonSocketUdpConnect(17000, { user: 'alice' });
          clients.push(alice);
          assert.equal(alice.status.JSONSocketStatus, 200, JSON.stringify(alice.status));
          const bob = await jsonSocketUdpConnect(17000, { user: 'bob' });
          clients.push(bob);
          assert.equal(bob.status.JSONSocketStatus, 200, JSON.stringify(bob.status));
          alice.send('alice-0');
          assert.deepEqual(await bob.waitFor(1, 20_000), ['alice-0']);
          bob.send('bob-0');
          assert.deepEqual(await alice.waitFor(1, 20_000), ['bob-0']);
          // Live JSONSocket sessions on every proxy: still nothing to do.
          await assertStable(res);
        });
      } finally {
        await cleanup.run();
      }
    },
  );

  it(
    'through the CLI: plan exits 2, apply without confirmation refuses, apply --auto-approve converges, plan exits 0',
    { timeout: TEST_TIMEOUT },
    async () => {
      const cleanup = new Cleanup();
      let emb: Embedded | undefined;
      const dir = exampleDir('quickstart');
      try {
        const echo = await udpEchoServer({ port: 15055, tag: 'echo:' });
        cleanup.add(() => echo.close());
        const res = await compiled('quickstart');
        emb = await startEmpty(res, cleanup);
        await withLogs(emb, async () => {
          const before = await runCli(['plan', dir, '--detailed-exitcode']);
          assert.equal(before.code, 2, `plan on empty proxies: changes\n${before.stdout}${before.stderr}`);

          // No terminal, no --auto-approve: refused, and nothing changed on any proxy. (The test
          // runner gives no TTY on stdin; make sure of it for a run from a terminal too.)
          const tty = Object.getOwnPropertyDescriptor(process.stdin, 'isTTY');
          Object.defineProperty(process.stdin, 'isTTY', { value: false, configurable: true });
          let refused;
          try {
            refused = await runCli(['apply', dir]);
          } finally {
            if (tty) Object.defineProperty(process.stdin, 'isTTY', tty);
            else delete (process.stdin as { isTTY?: boolean }).isTTY;
          }
          assert.equal(refused.code, 1, `apply without --auto-approve\n${refused.stdout}${refused.stderr}`);
          assert.match(refused.stderr, /auto-approve/);
          const untouched = await planRepo(res);
          for (const p of untouched.plan.proxies) {
            const g = res.graphs.find((x) => x.proxy === p.proxy)!;
            assert.ok(
              p.calls.length > 0 && p.calls.every((c) => c.action === 'create'),
              `${p.proxy} still empty`,
            );
            assert.equal(
              p.calls.length,
              g.listeners.length +
                g.rulelists.length +
                g.rules.length +
                g.routes.length +
                g.clusters.length +
                g.endpoints.length,
            );
          }
          const still = await runCli(['plan', dir, '--detailed-exitcode']);
          assert.equal(still.code, 2, 'the refused apply changed nothing');

          const applied = await runCli(['apply', dir, '--auto-approve']);
          assert.equal(applied.code, 0, `apply --auto-approve\n${applied.stdout}${applied.stderr}`);
          assert.match(applied.stdout, /verified/);

          const afterwards = await runCli(['plan', dir, '--detailed-exitcode']);
          assert.equal(
            afterwards.code,
            0,
            `plan after apply: no changes\n${afterwards.stdout}${afterwards.stderr}`,
          );

          const payloads = ['cli-0', 'cli-1', 'cli-2'];
          assert.deepEqual(await udpRoundTrip(15053, payloads), tagged('echo:', payloads));

          // A second apply from the CLI makes no call either.
          const again = await runCli(['apply', dir, '--auto-approve']);
          assert.equal(again.code, 0, `${again.stdout}${again.stderr}`);
          assert.match(again.stdout, /0 calls made/);
        });
      } finally {
        await cleanup.run();
      }
    },
  );
});
