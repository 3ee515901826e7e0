// Faults during plan and apply, against real l7mp proxies (DESIGN §4.4, §4.5): a call the proxy
// rejects mid-apply is rolled back until the proxy is exactly as before; a proxy killed mid-apply
// gives a clear error and converges once restarted; an unreachable proxy fails only its own part;
// a saved plan made stale by a change by hand is refused; racing applies never interleave.
// Ports: admin 18420–18429 (18423 is never opened: the unreachable proxy), data 18520–18549.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { encodeName } from '../runtime/proxy/client.ts';
import { acquireLock } from '../runtime/proxy/lock.ts';
import { startEmbedded } from '../runtime/embedded.ts';
import { clientsFor, planRepo } from '../runtime/reconcile/plan-repo.ts';
import { applyPlan, type ApplyEvent, type ProxyApplyResult } from '../runtime/reconcile/apply.ts';
import { readPlanFile } from '../runtime/reconcile/plan-file.ts';
import type { Plan, PlannedCall } from '../runtime/reconcile/types.ts';
import { renderApplyResults } from '../cli/render/apply-results.ts';
import { runCli } from './support/run-cli.ts';
import {
  Cleanup,
  TEST_TIMEOUT,
  adminUrlOf,
  assertApplied,
  assertNoChanges,
  assertNoStack,
  clientAt,
  compileYaml,
  converge,
  describeCalls,
  observeAt,
  partOf,
  proxyDoc,
  repoYaml,
  startProxies,
  stateOf,
  tempDir,
  tempRepo,
  withProxyLogs,
} from './support/reconcile-fixture.ts';

const select = (app: string) => ({ matchLabels: { app } });

/** A Target deployed by selector that nothing routes to, with the given endpoint addresses. */
const keepTarget = (proxy: string, port: number, addresses: readonly string[]) => ({
  kind: 'Target',
  metadata: { name: 'keep' },
  spec: {
    selector: select(proxy),
    cluster: { spec: { UDP: { port } }, endpoints: addresses.map((address) => ({ spec: { address } })) },
  },
});

/** A repository for one proxy: a UDP ingress with two rules, a named route, a TCP side service. */
function configA(proxy: string, admin: number, port: (i: number) => number): string {
  return repoYaml([
    proxyDoc(proxy, admin, { app: proxy }),
    keepTarget(proxy, port(7), ['127.0.0.5', '127.0.0.6']),
    {
      kind: 'Target',
      metadata: { name: 'backend' },
      spec: {
        selector: select(proxy),
        cluster: {
          spec: { UDP: { port: port(1) } },
          endpoints: [{ spec: { address: '127.0.0.1' } }, { spec: { address: '127.0.0.2' } }],
        },
      },
    },
    {
      kind: 'Target',
      metadata: { name: 'old-target' },
      spec: {
        selector: select(proxy),
        cluster: { spec: { TCP: { port: port(2) } }, endpoints: [{ spec: { address: '127.0.0.3' } }] },
      },
    },
    {
      kind: 'Route',
      metadata: { name: 'to-backend' },
      spec: { destination: 'backend', retry: { retry_on: 'always', num_retries: 3, timeout: 1000 } },
    },
    {
      kind: 'VirtualService',
      metadata: { name: 'ingress' },
      spec: {
        selector: select(proxy),
        listener: {
          spec: { UDP: { port: port(3) } },
          rules: [
            {
              match: { op: 'test', path: '/IP/src_addr', value: '10.1.1.1' },
              action: { route: 'to-backend' },
            },
            { action: { route: { destination: 'backend' } } },
          ],
        },
      },
    },
    {
      kind: 'VirtualService',
      metadata: { name: 'side' },
      spec: {
        selector: select(proxy),
        listener: {
          spec: { TCP: { port: port(4) } },
          rules: [{ action: { route: { destination: 'old-target' } } }],
        },
      },
    },
  ]);
}

/** The same proxy, changed in every way: cluster spec, endpoints, retry, rules, listeners added and removed. */
function configB(proxy: string, admin: number, port: (i: number) => number): string {
  return repoYaml([
    proxyDoc(proxy, admin, { app: proxy }),
    keepTarget(proxy, port(7), ['127.0.0.6', '127.0.0.7']),
    {
      kind: 'Target',
      metadata: { name: 'backend' },
      spec: {
        selector: select(proxy),
        cluster: {
          spec: { UDP: { port: port(5) } },
          loadbalancer: { policy: 'ConsistentHash', key: '/IP/src_addr' },
          endpoints: [
            { spec: { address: '127.0.0.1' } },
            { spec: { address: '127.0.0.2' } },
            { spec: { address: '127.0.0.4' } },
          ],
        },
      },
    },
    {
      kind: 'Route',
      metadata: { name: 'to-backend' },
      spec: { destination: 'backend', retry: { retry_on: 'always', num_retries: 5, timeout: 1000 } },
    },
    {
      kind: 'VirtualService',
      metadata: { name: 'ingress' },
      spec: {
        selector: select(proxy),
        listener: {
          spec: { UDP: { port: port(3) } },
          rules: [
            { action: { route: { destination: 'backend' } } },
            {
              match: { op: 'test', path: '/IP/src_addr', value: '10.2.2.2' },
              action: { route: 'to-backend' },
            },
          ],
        },
      },
    },
    {
      kind: 'VirtualService',
      metadata: { name: 'extra' },
      spec: {
        selector: select(proxy),
        listener: { spec: { UDP: { port: port(6) } }, rules: [{ action: { route: 'to-backend' } }] },
      },
    },
  ]);
}

/** A cluster the proxy refuses with 400 (unknown load-balancer policy, facts §3.2), leaving nothing behind. */
function rejectedCall(port: number): PlannedCall {
  const name = 'l7c.C.default.rejected.00000000';
  return {
    action: 'create',
    kind: 'clusters',
    name,
    reason: 'test: a call the proxy rejects',
    sessionsCut: 0,
    call: {
      method: 'POST',
      path: '/api/v1/clusters',
      body: { cluster: { name, spec: { protocol: 'UDP', port }, loadbalancer: { policy: 'NoSuchPolicy' } } },
    },
    undo: [{ method: 'DELETE', path: `/api/v1/clusters/${encodeName(name)}` }],
  };
}

const withCallAt = (plan: Plan, proxy: string, k: number, extra: PlannedCall): Plan => ({
  ...plan,
  proxies: plan.proxies.map((p) =>
    p.proxy === proxy ? { ...p, calls: [...p.calls.slice(0, k), extra, ...p.calls.slice(k)] } : p,
  ),
});

const only = (results: readonly ProxyApplyResult[], proxy: string): ProxyApplyResult => {
  const r = results.find((x) => x.proxy === proxy);
  assert.ok(r, `a result for ${proxy}: ${JSON.stringify(results)}`);
  return r;
};

describe('apply under faults', { concurrency: 1 }, () => {
  it(
    'a call the proxy rejects (400) mid-apply, at every position of a real plan: rolled back, the proxy exactly as before',
    { timeout: TEST_TIMEOUT },
    async () => {
      const cleanup = new Cleanup();
      try {
        const port = (i: number) => 18520 + i;
        const [a, b] = [
          await compileYaml(configA('fa', 18420, port)),
          await compileYaml(configB('fa', 18420, port)),
        ];
        const emb = await startProxies(a, cleanup);
        const url = adminUrlOf(a, 'fa');
        const client = clientAt(url, cleanup);
        await withProxyLogs([emb], async () => {
          await converge(a, 'config A');
          const before = stateOf(await observeAt(url));
          const { plan, clientFor } = await planRepo(b);
          const calls = partOf(plan, 'fa').calls;
          const actions = new Set(calls.map((c) => c.action));
          for (const x of [
            'create',
            'delete',
            'add-endpoint',
            'remove-endpoint',
            'insert-rule',
            'remove-rule',
            'replace-create',
            'replace-delete',
          ])
            assert.ok(
              actions.has(x as never),
              `the plan exercises ${x}:\n${describeCalls(partOf(plan, 'fa')).join('\n')}`,
            );

          const bad = rejectedCall(port(9));
          for (let k = 0; k <= calls.length; k++) {
            const events: ApplyEvent[] = [];
            const [r] = await applyPlan(withCallAt(plan, 'fa', k, bad), {
              clientFor,
              desired: b.graphs,
              onEvent: (e) => events.push(e),
            });
            const at = `rejected call at position ${k} of ${calls.length}`;
            assert.equal(r!.status, 'rolled-back', `${at}: ${r!.error}`);
            assert.equal(r!.callsMade, k, at);
            const undos = calls.slice(0, k).reduce((n, c) => n + (c.undo?.length ?? 0), 0);
            assert.equal(r!.undone, undos, `${at}: every undo call was made`);
            assert.equal(events.filter((e) => e.type === 'undo').length, undos, at);
            assert.match(r!.error ?? '', /NoSuchPolicy/, at);
            assertNoStack(r!.error ?? '', at);
            assert.equal(r!.verified, false, at);
            assert.deepEqual(stateOf(await observeAt(url)), before, `${at}: the proxy is exactly as before`);
            const clusters = (await client.get<{ name: string }[]>('/api/v1/clusters')).map((c) => c.name);
            assert.ok(!clusters.includes(bad.name), `${at}: the rejected cluster left nothing behind`);
          }

          // The plan itself, unchanged, still applies: nothing was left half-done.
          assertApplied(await applyPlan(plan, { clientFor, desired: b.graphs }), 'the real plan');
          await assertNoChanges(b, 'after config B');
        });
      } finally {
        await cleanup.run();
      }
    },
  );

  it(
    'the proxy killed mid-apply: a clear error, no stack; once restarted empty, the next plan and apply converge',
    { timeout: TEST_TIMEOUT },
    async (t) => {
      const cleanup = new Cleanup();
      try {
        const res = await compileYaml(configA('fb', 18421, (i) => 18530 + i));
        const emb = await startProxies(res, cleanup);
        const local = emb.started[0]!.local;
        await withProxyLogs([emb], async () => {
          const { plan, clientFor } = await planRepo(res);
          const total = partOf(plan, 'fb').calls.length;
          const k = Math.floor(total / 2);
          assert.ok(k >= 2, `a plan with several calls (${total})`);
          const [r] = await applyPlan(plan, {
            clientFor,
            desired: res.graphs,
            onEvent: (e) => {
              if (e.type === 'call' && e.index === k) process.kill(local.pid, 'SIGKILL');
            },
          });
          assert.ok(local.exited(), 'the proxy is dead');
          assert.notEqual(r!.status, 'applied');
          assert.notEqual(r!.status, 'unchanged');
          assert.equal(r!.verified, false);
          const error = r!.error ?? '';
          assert.match(error, /127\.0\.0\.1:18421/, 'the error names the proxy');
          assert.match(error, /ECONNREFUSED|ECONNRESET|socket hang up|cannot reach|did not answer/, error);
          assertNoStack(error, 'the apply error');
          t.diagnostic(`killed at call ${k} of ${total}: ${r!.status}: ${error}`);
          assertNoStack(renderApplyResults([r!]), 'the rendered result');

          const down = await planRepo(res);
          assert.deepEqual(down.plan.proxies, [], 'nothing to plan on a dead proxy');
          assert.deepEqual(
            down.plan.unreachable.map((u) => u.proxy),
            ['fb'],
          );
        });

        // A fresh, empty proxy on the same port: the next plan builds everything, apply converges.
        const again = await startEmbedded(res.model.proxies);
        cleanup.add(() => again.stop());
        await withProxyLogs([again], async () => {
          const { plan } = await planRepo(res);
          assert.ok(
            partOf(plan, 'fb').calls.every((c) => c.call.method === 'POST'),
            'from empty: creates only',
          );
          await converge(res, 'after the restart');
        });
      } finally {
        await cleanup.run();
      }
    },
  );

  it(
    'an unreachable proxy fails only its own part; plan lists it as unreachable',
    { timeout: TEST_TIMEOUT },
    async () => {
      const cleanup = new Cleanup();
      try {
        const yaml = repoYaml([
          proxyDoc('up', 18422, { tier: 'edge' }),
          proxyDoc('down', 18423, { tier: 'edge' }, '127.0.0.2'), // nothing ever listens on 18423
          {
            kind: 'VirtualService',
            metadata: { name: 'edge' },
            spec: {
              selector: { matchLabels: { tier: 'edge' } },
              listener: {
                spec: { UDP: { port: 18537 } },
                rules: [
                  {
                    action: {
                      route: {
                        destination: {
                          spec: { UDP: { port: 18538 } },
                          endpoints: [{ spec: { address: '127.0.0.1' } }],
                        },
                      },
                    },
                  },
                ],
              },
            },
          },
        ]);
        const res = await compileYaml(yaml);
        assert.deepEqual(res.graphs.map((g) => g.proxy).sort(), ['down', 'up']);
        const repo = await tempRepo(yaml, cleanup);
        const emb = await startProxies(res, cleanup, ['up']);
        await withProxyLogs([emb], async () => {
          const { plan, clientFor } = await planRepo(res);
          assert.deepEqual(
            plan.proxies.map((p) => p.proxy),
            ['up'],
          );
          assert.ok(partOf(plan, 'up').calls.length > 0);
          assert.deepEqual(
            plan.unreachable.map((u) => [u.proxy, u.adminUrl]),
            [['down', 'http://127.0.0.1:18423']],
          );
          assert.match(plan.unreachable[0]!.error, /ECONNREFUSED/);
          assertNoStack(plan.unreachable[0]!.error, 'the unreachable error');

          const results = await applyPlan(plan, { clientFor, desired: res.graphs });
          assertApplied([only(results, 'up')], 'the reachable proxy');
          assert.equal(only(results, 'down').status, 'unreachable');
          assert.equal(only(results, 'down').callsMade, 0);

          const cliPlan = await runCli(['plan', repo.dir]);
          assert.equal(cliPlan.code, 1, 'an unreachable proxy makes plan fail');
          assert.match(cliPlan.stdout, /proxy down \(http:\/\/127\.0\.0\.1:18423\): not reachable/);
          assertNoStack(cliPlan.stdout + cliPlan.stderr, 'plan output');
          const cliApply = await runCli(['apply', repo.dir, '--auto-approve']);
          assert.equal(cliApply.code, 1, 'an unreachable proxy makes apply fail');
          assert.match(cliApply.stdout, /\bup\s+no changes/);
          assert.match(cliApply.stdout, /\bdown\s+UNREACHABLE/);
          assertNoStack(cliApply.stdout + cliApply.stderr, 'apply output');
        });
      } finally {
        await cleanup.run();
      }
    },
  );

  it(
    'a saved plan made stale by a change by hand is refused and applies nothing; a fresh one applies',
    { timeout: TEST_TIMEOUT },
    async () => {
      const cleanup = new Cleanup();
      try {
        const port = (i: number) => 18540 + i;
        const yamlA = configA('fd', 18424, port);
        const yamlB = configB('fd', 18424, port);
        const [a, b] = [await compileYaml(yamlA), await compileYaml(yamlB)];
        const repo = await tempRepo(yamlA, cleanup);
        const scratch = await tempDir(cleanup);
        const emb = await startProxies(a, cleanup);
        const url = adminUrlOf(a, 'fd');
        const client = clientAt(url, cleanup);
        await withProxyLogs([emb], async () => {
          await converge(a, 'config A');
          await repo.write(yamlB);
          const stale = join(scratch, 'stale.plan');
          const saved = await runCli(['plan', repo.dir, '--out', stale, '--detailed-exitcode']);
          assert.equal(saved.code, 2, saved.stdout + saved.stderr);
          assert.ok(existsSync(stale));

          // By hand: a route of ours deleted.
          const route = a.graphs[0]!.routes.find((r) => r.name.startsWith('l7c.RT.default.to-backend.'))!;
          await client.send({ method: 'DELETE', path: `/api/v1/routes/${encodeName(route.name)}` });
          const changed = stateOf(await observeAt(url));

          const refused = await runCli(['apply', stale]);
          assert.equal(refused.code, 1, refused.stdout + refused.stderr);
          assert.match(refused.stdout, /stale/);
          assertNoStack(refused.stdout + refused.stderr, 'apply output');
          const f = await readPlanFile(stale);
          const [r] = await applyPlan(f.plan, { clientFor: clientsFor(f.proxies), desired: f.desired });
          assert.deepEqual([r!.status, r!.callsMade], ['stale', 0]);
          assert.deepEqual(stateOf(await observeAt(url)), changed, 'nothing was applied');

          const fresh = join(scratch, 'fresh.plan');
          const again = await runCli(['plan', repo.dir, '--out', fresh]);
          assert.equal(again.code, 0, again.stdout + again.stderr);
          const applied = await runCli(['apply', fresh]);
          assert.equal(applied.code, 0, applied.stdout + applied.stderr);
          await assertNoChanges(b, 'after the fresh plan');
          const check = await runCli(['plan', repo.dir, '--detailed-exitcode']);
          assert.equal(check.code, 0, check.stdout);
        });
      } finally {
        await cleanup.run();
      }
    },
  );

  it(
    'an apply while another holds the lock is refused, naming the holder',
    { timeout: TEST_TIMEOUT },
    async () => {
      const cleanup = new Cleanup();
      try {
        const res = await compileYaml(configA('fe', 18425, (i) => 18540 + i));
        const emb = await startProxies(res, cleanup);
        const url = adminUrlOf(res, 'fe');
        await withProxyLogs([emb], async () => {
          const held = await acquireLock(clientAt(url, cleanup), {
            holder: 'alice@ci-runner-7',
            ttlMs: 60_000,
          });
          assert.ok('release' in held);
          const before = stateOf(await observeAt(url));
          const { plan, clientFor } = await planRepo(res);
          const [r] = await applyPlan(plan, { clientFor, desired: res.graphs, holder: 'bob' });
          assert.deepEqual([r!.status, r!.callsMade], ['locked', 0]);
          assert.match(r!.error ?? '', /alice@ci-runner-7/);
          assert.deepEqual(stateOf(await observeAt(url)), before, 'nothing was applied');
          assert.equal(await held.release(), true);
          const [ok] = await applyPlan(plan, { clientFor, desired: res.graphs, holder: 'bob' });
          assertApplied([ok!], 'after the release');
        });
      } finally {
        await cleanup.run();
      }
    },
  );

  it(
    'two applies racing on one proxy never interleave; the result is correct and verified',
    { timeout: TEST_TIMEOUT },
    async (t) => {
      const cleanup = new Cleanup();
      try {
        const port = (i: number) => 18540 + i;
        const configs = [
          await compileYaml(configA('fe', 18426, port)),
          await compileYaml(configB('fe', 18426, port)),
        ];
        const emb = await startProxies(configs[0]!, cleanup);
        await withProxyLogs([emb], async () => {
          for (let round = 0; round < 6; round++) {
            const res = configs[round % 2]!;
            // Two appliers, each with its own plan and its own connections, made from the same state.
            const [p1, p2] = [await planRepo(res), await planRepo(res)];
            const log: string[] = [];
            const run = (who: string, p: typeof p1, onCall?: (index: number) => void) =>
              applyPlan(p.plan, {
                clientFor: p.clientFor,
                desired: res.graphs,
                holder: who,
                onEvent: (e) => {
                  if (e.type !== 'call') return;
                  log.push(who);
                  onCall?.(e.index);
                },
              });
            let results: ProxyApplyResult[];
            if (round < 4) {
              // Started together.
              results = (await Promise.all([run('alice', p1), run('bob', p2)])).flat();
            } else {
              // Bob starts while Alice is between her calls.
              let bob: Promise<ProxyApplyResult[]> | undefined;
              const alice = await run('alice', p1, (i) => {
                if (i === 1) bob ??= run('bob', p2);
              });
              assert.ok(bob, 'bob was started');
              results = [...alice, ...(await bob)];
            }
            const at = `round ${round}: ${JSON.stringify(results)}`;
            const winners = results.filter((r) => r.status === 'applied');
            assert.equal(winners.length, 1, at);
            assert.ok(winners[0]!.verified, at);
            const loser = results.find((r) => r !== winners[0])!;
            assert.ok(loser.status === 'locked' || loser.status === 'stale', at);
            assert.equal(loser.callsMade, 0, at);
            const winner = results.indexOf(winners[0]!) === 0 ? 'alice' : 'bob';
            if (loser.status === 'locked')
              assert.match(loser.error ?? '', new RegExp(`locked by ${winner}\\b`), at);
            assert.deepEqual(
              log,
              log.map(() => winner),
              `${at}: only the winner's calls were made`,
            );
            await assertNoChanges(res, at);
            t.diagnostic(
              `round ${round}: ${winner} applied ${winners[0]!.callsMade} calls; the other: ${loser.status}`,
            );
          }
        });
      } finally {
        await cleanup.run();
      }
    },
  );
});
