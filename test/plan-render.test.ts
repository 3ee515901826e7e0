// Plan renderers (cli/render/plan-*.ts): the text form shows each change with its sign, kind, name,
// origin, reason, changed fields and sessions cut, and ends with the summary; the JSON form is the
// Plan value plus summaries. Plans come from real compiles of small in-memory repos.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compile } from '../compiler/pipeline.ts';
import type { ProxyGraph } from '../compiler/model/graph.ts';
import { makePlan } from '../runtime/plan/diff.ts';
import { summarize } from '../runtime/plan/summary.ts';
import type { LiveState, Plan } from '../runtime/reconcile/types.ts';
import { renderPlanText } from '../cli/render/plan-text.ts';
import { renderPlanJson, toJsonPlan } from '../cli/render/plan-json.ts';
import { liveOf } from './support/proxy-sim.ts';

const utf8 = new TextEncoder();

async function graphOf(yaml: string): Promise<ProxyGraph> {
  const res = await compile({ files: [{ path: 'repo.yaml', bytes: utf8.encode(yaml) }] });
  assert.deepEqual(
    res.diagnostics.filter((d) => d.severity === 'error'),
    [],
  );
  return res.graphs.find((g) => g.proxy === 'gw')!;
}

const repo = (listener: string, retries: number) => `
kind: Proxy
metadata: {name: gw, labels: {app: gw}}
spec: {admin: {url: "http://127.0.0.1:18001"}, address: 127.0.0.1}
---
kind: Target
metadata: {name: backend}
spec:
  selector: {matchLabels: {app: gw}}
  cluster:
    spec: {UDP: {port: 6000}}
    endpoints: [{spec: {address: 10.0.0.1}}]
---
kind: Route
metadata: {name: to-backend}
spec:
  destination: backend
  retry: {retry_on: always, num_retries: ${retries}, timeout: 1000}
---
kind: VirtualService
metadata: {name: ingress}
spec:
  selector: {matchLabels: {app: gw}}
  listener:
    spec: ${listener}
    rules:
      - action: {route: to-backend}
`;
const UDP = '{UDP: {port: 5000}}';
const singleton = (p: number) => `{UDP: {port: 5000, connect: {address: 127.0.0.1, port: ${p}}}}`;

async function planOf(
  from: string,
  to: string,
  extra: (a: ProxyGraph) => Partial<LiveState> = () => ({}),
): Promise<Plan> {
  const [a, b] = [await graphOf(from), await graphOf(to)];
  return makePlan([b], [liveOf(a, extra(a))], []);
}

const lines = (s: string) => s.trimEnd().split('\n');

describe('plan text', () => {
  test('no changes: one line', async () => {
    const plan = await planOf(repo(UDP, 3), repo(UDP, 3));
    assert.equal(
      renderPlanText(plan, { color: false }),
      'No changes. Live proxies match the configuration.\n',
    );
  });

  test('a replacement is one -/+ entry with origin, reason and the changed field old → new', async () => {
    const plan = await planOf(repo(UDP, 3), repo(UDP, 5));
    const text = renderPlanText(plan, { color: false });
    const [route, rule] = plan.proxies[0]!.calls.filter((c) => c.action === 'replace-create');
    assert.ok(route && rule);
    assert.equal(lines(text)[0], 'proxy gw (http://127.0.0.1:18001):');
    const at = lines(text).findIndex((l) => l.includes(`-/+ route ${route.replaces} → ${route.name}`));
    assert.ok(at > 0, text);
    assert.match(lines(text)[at + 1]!, /Route\/to-backend: /);
    assert.match(lines(text)[at + 2]!, /^\s+retry\.num_retries: 3 → 5$/);
    assert.ok(text.includes(`-/+ rule ${rule.replaces} → ${rule.name}`));
    assert.ok(text.includes(`~ rulelist l7c.RL.default.ingress: insert rule ${rule.name} at 0`));
    assert.ok(text.includes(`~ rulelist l7c.RL.default.ingress: remove rule ${rule.replaces} (position 1)`));
    // the delete halves are not shown again
    assert.equal(text.match(/^\s+- /gm), null, text);
    assert.equal(
      lines(text).at(-1),
      'Plan: 0 to add, 1 to change, 2 to replace, 0 to destroy; 0 live sessions cut.',
    );
  });

  test('sessions cut are shown on the line that cuts them and in the summary', async () => {
    const plan = await planOf(repo(singleton(9000), 3), repo(singleton(9001), 3), (a) => ({
      sessions: [{ name: 'UDP:1', listener: a.listeners[0]!.name, clusters: [], status: 'CONNECTED' }],
    }));
    const text = renderPlanText(plan, { color: false });
    const l = lines(text);
    const at = l.findIndex((x) => x.includes('-/+ listener'));
    assert.ok(at > 0, text);
    assert.match(l[at + 2]!, /spec\.connect\.port: 9000 → 9001/);
    assert.match(l[at + 3]!, /ends 1 live session$/);
    assert.equal(l.at(-1), 'Plan: 0 to add, 0 to change, 1 to replace, 0 to destroy; 1 live session cut.');
  });

  test('drift is marked; creates, in-place and deletes have their signs', async () => {
    const a = await graphOf(repo(UDP, 3));
    const live = liveOf(a);
    const ours = {
      ...live.ours,
      endpoints: [],
      rules: [...live.ours.rules, { name: 'l7c.R.default.hand.0badc0de', action: { route: 'x' } }],
      routes: [],
    };
    const plan = makePlan([a], [{ ...live, ours }], []);
    const text = renderPlanText(plan, { color: false });
    const signs = lines(text)
      .filter((l) => /^\s+(\+|~|-|-\/\+) /.test(l))
      .map((l) => l.trim().split(' ').slice(0, 2).join(' '));
    assert.deepEqual(signs, ['~ cluster', '+ route', '- rule']);
    assert.match(text, /- rule l7c\.R\.default\.hand\.0badc0de \(changed outside l7mp-compile\)/);
    assert.match(text, /\+ route l7c\.RT\.default\.to-backend\.[0-9a-f]{8} \(changed outside l7mp-compile\)/);
    assert.equal(
      lines(text).at(-1),
      'Plan: 1 to add, 1 to change, 0 to replace, 1 to destroy; 0 live sessions cut.',
    );
  });

  test('unreachable proxies are reported; colour only when asked; control characters never reach the terminal', async () => {
    const plan = await planOf(repo(UDP, 3), repo(UDP, 5));
    const withBad: Plan = {
      ...plan,
      unreachable: [
        { proxy: 'edge\u001b[2J', adminUrl: 'http://10.0.0.9:1234', error: 'connect ECONNREFUSED' },
      ],
    };
    const plain = renderPlanText(withBad, { color: false });
    assert.doesNotMatch(plain, /\u001b/); // eslint-disable-line no-control-regex
    assert.match(
      plain,
      /proxy edge\uFFFD\[2J \(http:\/\/10\.0\.0\.9:1234\): not reachable, skipped: connect ECONNREFUSED/,
    );
    assert.match(renderPlanText(withBad, { color: true }), /\u001b\[35m-\/\+\u001b\[0m/); // eslint-disable-line no-control-regex
    const none = renderPlanText({ ...withBad, proxies: [] }, { color: false });
    assert.match(
      lines(none).at(-1)!,
      /^No changes on the proxies that could be reached \(1 proxy skipped\)\.$/,
    );
  });
});

describe('plan JSON', () => {
  test('versioned; the Plan value with every call, its undo, and the summaries', async () => {
    const plan = await planOf(repo(UDP, 3), repo(singleton(9000), 5));
    const doc = JSON.parse(renderPlanJson({ ...plan, revision: 'abc' }));
    assert.equal(doc.format_version, '1');
    assert.deepEqual(Object.keys(doc), [
      'format_version',
      'desired',
      'revision',
      'summary',
      'proxies',
      'unreachable',
    ]);
    assert.deepEqual(doc.summary, summarize(plan));
    assert.deepEqual(doc.proxies[0].summary, summarize(plan));
    assert.deepEqual(doc.proxies[0].calls, JSON.parse(JSON.stringify(plan.proxies[0]!.calls)));
    assert.ok(
      doc.proxies[0].calls.every(
        (c: any) => Array.isArray(c.undo) && c.undo.length > 0 && c.call.path.startsWith('/api/v1/'),
      ),
    );
    assert.deepEqual(toJsonPlan(plan).proxies[0]!.calls, plan.proxies[0]!.calls);
    assert.equal('revision' in toJsonPlan(plan), false);
  });
});
