// Drift against a real l7mp proxy (DESIGN §4): changes made by hand through the REST API, behind
// l7mp-compile's back. An object of ours deleted by hand is planned as drift and put back; an
// object carrying our `l7c.` marker added by hand is planned for deletion and removed; objects
// that are not ours (made by hand, the proxy's own controller objects) are never touched.
// Ports: admin 18401, data 18501–18519 (nothing listens behind the clusters: no traffic here).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CompileResult } from '../compiler/pipeline.ts';
import { encodeName, type ProxyClient } from '../runtime/proxy/client.ts';
import { planRepo } from '../runtime/reconcile/plan-repo.ts';
import { applyPlan } from '../runtime/reconcile/apply.ts';
import type { PlannedCall } from '../runtime/reconcile/types.ts';
import { renderPlanText } from '../cli/render/plan-text.ts';
import type { Embedded } from '../runtime/embedded.ts';
import { runCli } from './support/run-cli.ts';
import { udpEchoServer, udpRoundTrip } from './support/traffic.ts';
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
  tempRepo,
  withProxyLogs,
} from './support/reconcile-fixture.ts';

const ADMIN = 18401;
const BACKEND_PORT = 18501;
const INGRESS_PORT = 18502;
const HAND_PORT = 18503;
const DRIFT = '(changed outside l7mp-compile)';

const PROXY = proxyDoc('gw', ADMIN, { app: 'gw' });
const SELECT = { matchLabels: { app: 'gw' } };
const BASE = repoYaml([
  PROXY,
  {
    kind: 'Target',
    metadata: { name: 'backend' },
    spec: {
      selector: SELECT,
      cluster: {
        spec: { UDP: { port: BACKEND_PORT } },
        endpoints: [{ spec: { address: '127.0.0.1' } }, { spec: { address: '127.0.0.2' } }],
      },
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
      selector: SELECT,
      listener: {
        spec: { UDP: { port: INGRESS_PORT } },
        rules: [
          { match: { op: 'test', path: '/IP/src_addr', value: '10.1.1.1' }, action: { route: 'to-backend' } },
          { action: { route: { destination: 'backend' } } },
        ],
      },
    },
  },
]);
const ONLY_PROXY = repoYaml([PROXY]);

const names = async (client: ProxyClient, path: string) =>
  ((await client.get<{ name: string }[]>(path)) ?? []).map((o) => o.name);

/** The text plan's entry lines (`+`, `~`, `-`, `-/+`), for the drift marker. */
const entryLines = (text: string) => text.split('\n').filter((l) => /^\s+(\+|~|-|-\/\+) /.test(l));

describe('drift: changes made by hand through the REST API', { concurrency: 1 }, () => {
  const cleanup = new Cleanup();
  let res: CompileResult;
  let emb: Embedded;
  let client: ProxyClient;
  let repo: { dir: string; write(yaml: string): Promise<void> };

  before(async () => {
    res = await compileYaml(BASE);
    repo = await tempRepo(BASE, cleanup);
    emb = await startProxies(res, cleanup);
    client = clientAt(adminUrlOf(res, 'gw'), cleanup);
  });
  after(() => cleanup.run());

  /** Every test starts from the repository applied. */
  const fromBase = async () => {
    await repo.write(BASE);
    await converge(res, 'the base repository');
  };

  it('an object of ours deleted by hand is planned as drift and put back', { timeout: TEST_TIMEOUT }, () =>
    withProxyLogs([emb], async () => {
      await fromBase();
      const route = res.graphs[0]!.routes.find((r) => r.name.startsWith('l7c.RT.default.to-backend.'));
      assert.ok(route, 'the Route to-backend is lowered to a route');
      await client.send({ method: 'DELETE', path: `/api/v1/routes/${encodeName(route.name)}` });
      assert.ok(!(await names(client, '/api/v1/routes')).includes(route.name));

      const { plan, clientFor } = await planRepo(res);
      const pp = partOf(plan, 'gw');
      assert.deepEqual(
        pp.calls.map((c) => [c.action, c.kind, c.name, c.call.method, c.call.path, c.drift]),
        [['create', 'routes', route.name, 'POST', '/api/v1/routes', true]],
      );
      assert.equal((pp.calls[0]!.call.body as { route: { name: string } }).route.name, route.name);

      const cli = await runCli(['plan', repo.dir, '--detailed-exitcode']);
      assert.equal(cli.code, 2, cli.stdout + cli.stderr);
      const lines = entryLines(cli.stdout);
      assert.equal(lines.length, 1, cli.stdout);
      assert.ok(lines[0]!.includes(`route ${route.name}`) && lines[0]!.includes(DRIFT), cli.stdout);

      const results = await applyPlan(plan, { clientFor, desired: res.graphs });
      assertApplied(results, 'apply');
      assert.equal(results[0]!.callsMade, 1);
      assert.ok((await names(client, '/api/v1/routes')).includes(route.name), 'the route is back');
      await assertNoChanges(res, 'after the repair');
    }),
  );

  it(
    'a cluster deleted by hand (its endpoints go with it) and a rule taken out of its list are put back',
    { timeout: TEST_TIMEOUT },
    () =>
      withProxyLogs([emb], async () => {
        await fromBase();
        const g = res.graphs[0]!;
        const cluster = g.clusters[0]!;
        const rl = g.rulelists[0]!;
        const [first] = rl.rules;
        assert.ok(first);
        await client.send({ method: 'DELETE', path: `/api/v1/clusters/${encodeName(cluster.name)}` });
        await client.send({
          method: 'DELETE',
          path: `/api/v1/rulelists/${encodeName(rl.name)}/rules/${encodeName(first)}`,
        });

        const { plan, clientFor } = await planRepo(res);
        const calls = partOf(plan, 'gw').calls;
        const summary = describeCalls(partOf(plan, 'gw'));
        assert.ok(
          calls.length > 0 && calls.every((c) => c.drift === true),
          `every call is drift:\n${summary.join('\n')}`,
        );
        const has = (f: (c: PlannedCall) => boolean, what: string) =>
          assert.ok(calls.some(f), `${what}:\n${summary.join('\n')}`);
        has(
          (c) => c.kind === 'clusters' && c.name === cluster.name && c.call.method === 'POST',
          'the cluster is created',
        );
        for (const e of g.endpoints.filter((x) => x.cluster === cluster.name))
          has(
            (c) => c.kind === 'endpoints' && c.name === e.name && c.call.method === 'POST',
            `endpoint ${e.name} is added`,
          );
        has(
          (c) => c.action === 'insert-rule' && c.name === first && c.position === 0,
          'the rule is inserted at 0',
        );
        assert.ok(
          calls.every((c) => c.call.method === 'POST'),
          'nothing to delete',
        );
        const text = renderPlanText(plan);
        assert.ok(
          entryLines(text).every((l) => l.includes(DRIFT)),
          `every entry is marked as changed outside:\n${text}`,
        );

        assertApplied(await applyPlan(plan, { clientFor, desired: res.graphs }), 'apply');
        const live = await observeAt(adminUrlOf(res, 'gw'));
        assert.deepEqual(live.ours.rulelists, g.rulelists, 'the rulelist is in order again');
        assert.deepEqual(
          live.ours.endpoints.map((e) => e.name),
          g.endpoints.map((e) => e.name).sort(),
        );
        await assertNoChanges(res, 'after the repair');
      }),
  );

  it(
    'a listener, then a rulelist, deleted by hand are put back (with an endpoint), and traffic flows again',
    { timeout: TEST_TIMEOUT },
    async () => {
      const echoes = await Promise.all(
        ['127.0.0.1', '127.0.0.2'].map((host) =>
          udpEchoServer({ port: BACKEND_PORT, host, tag: `echo@${host}:` }),
        ),
      );
      const untagged = (rs: string[]) => rs.map((r) => r.replace(/^echo@[\d.]+:/, ''));
      try {
        await withProxyLogs([emb], async () => {
          await fromBase();
          const g = res.graphs[0]!;
          const [listener, rulelist, endpoint] = [g.listeners[0]!, g.rulelists[0]!, g.endpoints[1]!];
          assert.deepEqual(untagged(await udpRoundTrip(INGRESS_PORT, ['before-0', 'before-1'])), [
            'before-0',
            'before-1',
          ]);

          await client.send({ method: 'DELETE', path: `/api/v1/listeners/${encodeName(listener.name)}` });
          await client.send({ method: 'DELETE', path: `/api/v1/endpoints/${encodeName(endpoint.name)}` });
          let { plan, clientFor } = await planRepo(res);
          let pp = partOf(plan, 'gw');
          assert.deepEqual(
            pp.calls.map((c) => [c.action, c.kind, c.name, c.call.method]),
            [
              ['add-endpoint', 'endpoints', endpoint.name, 'POST'],
              ['create', 'listeners', listener.name, 'POST'],
            ],
          );
          // The listener's rulelist is live and nothing uses it: the listener was deleted by hand.
          // A missing endpoint of a live cluster cannot be told from one added to the repository
          // (no record of the last applied configuration is kept), so it is simply added.
          assert.equal(pp.calls[1]!.drift, true, describeCalls(pp).join('\n'));
          assertApplied(await applyPlan(plan, { clientFor, desired: res.graphs }), 'apply');
          await assertNoChanges(res, 'after the listener repair');
          assert.deepEqual(untagged(await udpRoundTrip(INGRESS_PORT, ['after-0', 'after-1'])), [
            'after-0',
            'after-1',
          ]);

          await client.send({ method: 'DELETE', path: `/api/v1/rulelists/${encodeName(rulelist.name)}` });
          ({ plan, clientFor } = await planRepo(res));
          pp = partOf(plan, 'gw');
          assert.deepEqual(
            pp.calls.map((c) => [c.action, c.kind, c.name, c.drift]),
            [['create', 'rulelists', rulelist.name, true]],
            'the live listener points at the missing rulelist: drift',
          );
          assertApplied(await applyPlan(plan, { clientFor, desired: res.graphs }), 'apply');
          await assertNoChanges(res, 'after the rulelist repair');
          assert.deepEqual(untagged(await udpRoundTrip(INGRESS_PORT, ['again-0'])), ['again-0']);
        });
      } finally {
        await Promise.all(echoes.map((e) => e.close()));
      }
    },
  );

  it(
    'an object under our marker added by hand is planned for deletion and removed',
    { timeout: TEST_TIMEOUT },
    () =>
      withProxyLogs([emb], async () => {
        await fromBase();
        const handCluster = 'l7c.C.default.hand.0badc0de';
        const handEndpoint = `${handCluster}.E.127.0.0.9`;
        const handRule = 'l7c.R.default.hand.0badc0de';
        await client.send({
          method: 'POST',
          path: '/api/v1/clusters',
          body: { cluster: { name: handCluster, spec: { protocol: 'UDP', port: HAND_PORT } } },
        });
        await client.send({
          method: 'POST',
          path: `/api/v1/clusters/${encodeName(handCluster)}/endpoints`,
          body: { endpoint: { name: handEndpoint, spec: { address: '127.0.0.9' } } },
        });
        await client.send({
          method: 'POST',
          path: '/api/v1/rules',
          body: { rule: { name: handRule, action: { route: res.graphs[0]!.routes[0]!.name } } },
        });

        const { plan, clientFor } = await planRepo(res);
        const calls = partOf(plan, 'gw').calls;
        const summary = describeCalls(partOf(plan, 'gw')).join('\n');
        assert.ok(calls.length > 0 && calls.every((c) => c.call.method === 'DELETE'), summary);
        assert.ok(
          calls.every((c) => !c.call.path.includes('?')),
          `never recursive:\n${summary}`,
        );
        assert.ok(
          calls.every((c) => [handCluster, handEndpoint, handRule].includes(c.name)),
          `only the hand-made objects are touched:\n${summary}`,
        );
        // A rule nothing refers to was not made from any configuration: drift. A cluster of ours
        // that is not desired looks exactly like a Target dropped from the repository (a Target
        // deploys a cluster nothing routes to), so it is deleted either way, drift or not.
        const ruleCall = calls.find((c) => c.kind === 'rules' && c.name === handRule);
        assert.ok(ruleCall?.drift, `the hand-made rule is deleted as drift:\n${summary}`);
        assert.ok(
          calls.some((c) => c.kind === 'clusters' && c.name === handCluster),
          summary,
        );
        const text = renderPlanText(plan);
        const ruleLine = entryLines(text).find((l) => l.includes(`rule ${handRule}`));
        assert.ok(ruleLine?.includes(DRIFT), text);

        assertApplied(await applyPlan(plan, { clientFor, desired: res.graphs }), 'apply');
        assert.ok(!(await names(client, '/api/v1/clusters')).includes(handCluster), 'the cluster is gone');
        assert.ok(!(await names(client, '/api/v1/rules')).includes(handRule), 'the rule is gone');
        await assertNoChanges(res, 'after the clean-up');
      }),
  );

  it(
    'objects that are not ours are left alone by plan and apply, even when everything of ours goes',
    { timeout: TEST_TIMEOUT },
    () =>
      withProxyLogs([emb], async () => {
        await fromBase();
        await client.send({
          method: 'POST',
          path: '/api/v1/clusters',
          body: { cluster: { name: 'hand-made', spec: { protocol: 'UDP', port: HAND_PORT } } },
        });
        await client.send({
          method: 'POST',
          path: '/api/v1/clusters/hand-made/endpoints',
          body: { endpoint: { name: 'hand-made-ep', spec: { address: '127.0.0.9' } } },
        });
        await client.send({
          method: 'POST',
          path: '/api/v1/routes',
          body: { route: { name: 'hand-route', destination: 'hand-made' } },
        });
        const foreign = ['hand-made', 'hand-made-ep', 'hand-route', 'controller-listener', 'l7mp-controller'];
        const touchesForeign = (c: PlannedCall) =>
          foreign.includes(c.name) || foreign.some((f) => c.call.path.split('/').includes(encodeName(f)));

        // Nothing of ours changed: nothing to do.
        await assertNoChanges(res, 'with foreign objects next to ours');
        const theirs = (await observeAt(adminUrlOf(res, 'gw'))).theirs.map((t) => `${t.kind}/${t.name}`);
        for (const t of [
          'clusters/hand-made',
          'routes/hand-route',
          'listeners/controller-listener',
          'clusters/l7mp-controller',
        ])
          assert.ok(theirs.includes(t), `${t} is observed as theirs (${theirs.join(', ')})`);

        // Everything of ours removed from the repository: all of ours goes, nothing of theirs.
        const empty = await compileYaml(ONLY_PROXY);
        const { plan } = await planRepo(empty);
        const calls = partOf(plan, 'gw').calls;
        assert.ok(
          calls.length > 0 && calls.every((c) => c.call.method === 'DELETE' && !c.drift),
          describeCalls(partOf(plan, 'gw')).join('\n'),
        );
        assert.deepEqual(calls.filter(touchesForeign), []);
        await repo.write(ONLY_PROXY);
        const cli = await runCli(['apply', repo.dir, '--auto-approve']);
        assert.equal(cli.code, 0, cli.stdout + cli.stderr);
        assertNoStack(cli.stdout + cli.stderr, 'apply output');

        const live = await observeAt(adminUrlOf(res, 'gw'));
        for (const k of ['listeners', 'rulelists', 'rules', 'routes', 'clusters', 'endpoints'] as const)
          assert.deepEqual(live.ours[k], [], `no ${k} of ours left`);
        assert.deepEqual(
          live.theirs.map((t) => `${t.kind}/${t.name}`),
          theirs,
          'the foreign objects are all still there',
        );
        const handMade = (
          await client.get<{ name: string; endpoints: { name: string }[] }[]>(
            '/api/v1/clusters?recursive=true',
          )
        ).find((c) => c.name === 'hand-made');
        assert.deepEqual(
          handMade?.endpoints.map((e) => e.name),
          ['hand-made-ep'],
          'the foreign endpoint is still there',
        );
        await assertNoChanges(empty, 'after removing everything of ours');

        // And back: ours re-created beside theirs.
        await fromBase();
        assert.deepEqual(
          (await observeAt(adminUrlOf(res, 'gw'))).theirs.map((t) => `${t.kind}/${t.name}`),
          theirs,
        );
      }),
  );
});
