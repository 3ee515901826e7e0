// The diff engine (runtime/plan): the exact calls for each kind of change, and properties over
// random pairs of configurations, checked on a FAKE proxy (test/support/proxy-sim.ts: no real
// proxy can take thousands of plans per run; examples-traffic.test.ts drives the real one).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { compile } from '../compiler/pipeline.ts';
import { canonical } from '../compiler/lowering/canonical.ts';
import { GRAPH_KINDS, type L7Listener, type ProxyGraph } from '../compiler/model/graph.ts';
import { compileRepo } from '../runtime/compile-repo.ts';
import { makePlan, planProxy } from '../runtime/plan/diff.ts';
import { editRuleList } from '../runtime/plan/rulelist-edit.ts';
import { summarize } from '../runtime/plan/summary.ts';
import type { LiveObjects, LiveSession, LiveState, ProxyPlan } from '../runtime/reconcile/types.ts';
import { normaliseObjects } from '../runtime/proxy/normalise.ts';
import { liveOf, objectsOf, ProxySim } from './support/proxy-sim.ts';
import { EXAMPLES, exampleDir } from './support/examples.ts';

const utf8 = new TextEncoder();
const compiled = new Map<string, Promise<ProxyGraph>>();

/** The graph of proxy `gw` compiled from an in-memory one-file repo (memoised: fast-check repeats). */
function graphOf(yaml: string): Promise<ProxyGraph> {
  let g = compiled.get(yaml);
  if (!g) {
    g = compile({ files: [{ path: 'repo.yaml', bytes: utf8.encode(yaml) }] }).then((res) => {
      const errors = res.diagnostics.filter((d) => d.severity === 'error');
      assert.deepEqual(errors, [], `test repo does not compile:\n${yaml}`);
      return res.graphs.find((x) => x.proxy === 'gw')!;
    });
    compiled.set(yaml, g);
  }
  return g;
}

const PROXY = `
kind: Proxy
metadata: {name: gw, labels: {app: gw}}
spec: {admin: {url: "http://127.0.0.1:18001"}, address: 127.0.0.1}
`;
const TARGET = `
kind: Target
metadata: {name: backend}
spec:
  selector: {matchLabels: {app: gw}}
  cluster:
    spec: {UDP: {port: 6000}}
    endpoints: [{spec: {address: 10.0.0.1}}, {spec: {address: 10.0.0.2}}]
`;
const ROUTE = `
kind: Route
metadata: {name: to-backend}
spec:
  destination: backend
  retry: {retry_on: always, num_retries: 3, timeout: 1000}
`;
const VS = `
kind: VirtualService
metadata: {name: ingress}
spec:
  selector: {matchLabels: {app: gw}}
  listener:
    spec: {UDP: {port: 5000}}
    rules:
      - match: {op: test, path: /IP/src_addr, value: 10.1.1.1}
        action: {route: to-backend}
      - action: {route: {destination: backend}}
`;
const repo = (...docs: string[]) => docs.join('\n---\n');
const BASE = repo(PROXY, TARGET, ROUTE, VS);

/** Replaces each `from` in `s`, failing when one is not there (so a test cannot go stale silently). */
function edit(s: string, ...pairs: [string, string][]): string {
  for (const [from, to] of pairs) {
    assert.ok(s.includes(from), `"${from}" not in the repo`);
    s = s.replace(from, to);
  }
  return s;
}

/**
 * Calls as `action kind name METHOD path`, names with their content hashes masked and marked
 * (new) when only the desired graph has them, (old) when only the live one does.
 */
function steps(p: ProxyPlan, before: LiveObjects, after: LiveObjects): string[] {
  const names = (o: LiveObjects) => new Set(GRAPH_KINDS.flatMap((k) => o[k].map((x) => x.name)));
  const [was, now] = [names(before), names(after)];
  const sym = (n: string) => {
    const s = n.replace(/\.[0-9a-f]{8}(?=\.|$)/g, '.#');
    if (!n.startsWith('l7c.')) return s;
    return was.has(n) && now.has(n) ? s : now.has(n) ? `${s}(new)` : was.has(n) ? `${s}(old)` : `${s}(?)`;
  };
  const path = (x: string) =>
    x
      .split('/')
      .map((seg) => sym(decodeURIComponent(seg)))
      .join('/');
  return p.calls.map((c) => `${c.action} ${c.kind} ${sym(c.name)} ${c.call.method} ${path(c.call.path)}`);
}

async function planFor(fromYaml: string, toYaml: string, extra: Partial<LiveState> = {}) {
  const [a, b] = [await graphOf(fromYaml), await graphOf(toYaml)];
  const live = liveOf(a, extra);
  const plan = planProxy(b, live);
  return { a, b, live, plan, steps: steps(plan, live.ours, b) };
}

const RL = 'l7c.RL.default.ingress';
const C = 'l7c.C.default.backend.#';

describe('plan: no changes', () => {
  test('a graph against itself plans nothing', async () => {
    const { plan } = await planFor(BASE, BASE);
    assert.deepEqual(plan.calls, []);
  });

  for (const name of EXAMPLES)
    test(`every proxy of the ${name} example against itself plans nothing`, async () => {
      const res = await compileRepo(exampleDir(name));
      for (const g of res.graphs) assert.deepEqual(planProxy(g, liveOf(g)).calls, [], g.proxy);
    });
});

describe('plan: what the proxy shows back', () => {
  test('explicit defaults and never-shown fields do not count as changes', async () => {
    const yaml = repo(
      PROXY,
      `
kind: Target
metadata: {name: backend}
spec:
  selector: {matchLabels: {app: gw}}
  cluster:
    spec: {UDP: {port: 6000}}
    endpoints: [{spec: {address: 10.0.0.1}, weight: 1}]
    loadbalancer: {policy: HashRing, key: /IP/src_addr}
    options: {foo: 1}
`,
      `
kind: VirtualService
metadata: {name: ingress}
spec:
  selector: {matchLabels: {app: gw}}
  listener:
    spec: {UDP: {port: 5000}}
    options: {track: 0}
    rules:
      - action:
          route:
            destination: backend
            ingress: [{spec: {Logger: {log_file: "-", log_prefix: ""}}}]
            retry: {retry_on: never, num_retries: 1, timeout: 2000}
`,
    );
    const a = await graphOf(yaml);
    // as observe/normalise reports it: weight 1, track 0, Logger defaults, default retry and the
    // cluster options (never dumped) are gone, HashRing reads as ConsistentHash
    const shown = normaliseObjects(a);
    assert.notEqual(canonical(shown), canonical(objectsOf(a)), 'the fixture must exercise the defaults');
    assert.deepEqual(planProxy(a, liveOf(a, { ours: shown })).calls, []);
  });
});

describe('plan: creating from nothing', () => {
  test('bottom-up: clusters, endpoints, routes, rules, rulelist, listener; no inline objects', async () => {
    const b = await graphOf(BASE);
    const empty = { listeners: [], rulelists: [], rules: [], routes: [], clusters: [], endpoints: [] };
    const plan = planProxy(b, liveOf({ proxy: 'gw', admin: b.admin, ...empty }));
    assert.deepEqual(
      plan.calls.map((c) => `${c.action} ${c.kind}`),
      [
        'create clusters',
        'create endpoints',
        'create endpoints',
        'create routes',
        'create routes',
        'create rules',
        'create rules',
        'create rulelists',
        'create listeners',
      ],
    );
    const cluster = plan.calls[0]!.call.body as { cluster: Record<string, unknown> };
    assert.equal(
      'endpoints' in cluster.cluster,
      false,
      'a cluster never carries inline endpoints (facts C1)',
    );
    assert.deepEqual(plan.calls[1]!.call.body, {
      endpoint: { name: b.endpoints[0]!.name, spec: { address: '10.0.0.1' } },
    });
    const catchAll = plan.calls.find((c) => c.kind === 'rules' && !('match' in (c.call.body as any).rule));
    assert.ok(catchAll, 'a rule without match is sent without `match` (never {match: "*"})');
    assert.deepEqual(plan.calls.at(-1)!.call.body, {
      listener: { name: b.listeners[0]!.name, spec: { protocol: 'UDP', port: 5000 }, rules: RL },
    });
    assert.deepEqual(summarize({ format_version: '1', desired: '', proxies: [plan], unreachable: [] }), {
      add: 9,
      change: 0,
      replace: 0,
      destroy: 0,
      sessionsCut: 0,
    });
  });
});

describe('plan: in-place changes', () => {
  test('endpoint added', async () => {
    const to = edit(BASE, [
      '{spec: {address: 10.0.0.2}}]',
      '{spec: {address: 10.0.0.2}}, {spec: {address: 10.0.0.3}}]',
    ]);
    const { steps: s, plan } = await planFor(BASE, to);
    assert.deepEqual(s, [`add-endpoint endpoints ${C}.E.10.0.0.3(new) POST /api/v1/clusters/${C}/endpoints`]);
    assert.deepEqual(plan.calls[0]!.undo, [
      {
        method: 'DELETE',
        path: plan.calls[0]!.call.path.replace(
          /clusters\/.*/,
          `endpoints/${encodeURIComponent(plan.calls[0]!.name)}`,
        ),
      },
    ]);
  });

  test('endpoint removed', async () => {
    const to = edit(BASE, [', {spec: {address: 10.0.0.2}}]', ']']);
    const { steps: s } = await planFor(BASE, to);
    assert.deepEqual(s, [
      `remove-endpoint endpoints ${C}.E.10.0.0.2(old) DELETE /api/v1/endpoints/${C}.E.10.0.0.2(old)`,
    ]);
  });

  test('rule inserted (a Rule object at position 0): rule created, then inserted', async () => {
    const rule = `
kind: Rule
metadata: {name: vip}
spec:
  virtualService: ingress
  position: 0
  rule:
    match: {op: test, path: /IP/src_addr, value: 10.9.9.9}
    action: {route: to-backend}
`;
    const { steps: s, plan } = await planFor(BASE, repo(BASE, rule));
    assert.deepEqual(s, [
      'create rules l7c.R.default.vip.#(new) POST /api/v1/rules',
      `insert-rule rules l7c.R.default.vip.#(new) POST /api/v1/rulelists/${RL}/rules/0`,
    ]);
    assert.deepEqual(plan.calls[1]!.undo, [{ method: 'DELETE', path: `/api/v1/rulelists/${RL}/rules/0` }]);
    assert.match(plan.calls[0]!.reason, /^Rule\/vip: /);
  });

  test('rule removed: reference removed by name, then the rule, then its unused route', async () => {
    const to = edit(BASE, [
      `      - match: {op: test, path: /IP/src_addr, value: 10.1.1.1}
        action: {route: to-backend}
`,
      '',
    ]);
    const { steps: s, plan } = await planFor(BASE, edit(to, [ROUTE, '']).replace(/---\n\n---/, '---'));
    assert.deepEqual(s, [
      `remove-rule rules l7c.R.default.ingress.#(old) DELETE /api/v1/rulelists/${RL}/rules/l7c.R.default.ingress.#(old)`,
      'delete rules l7c.R.default.ingress.#(old) DELETE /api/v1/rules/l7c.R.default.ingress.#(old)',
      'delete routes l7c.RT.default.to-backend.#(old) DELETE /api/v1/routes/l7c.RT.default.to-backend.#(old)',
    ]);
    assert.equal(plan.calls[0]!.position, 0);
    assert.deepEqual(plan.calls[0]!.undo, [
      { method: 'POST', path: `/api/v1/rulelists/${RL}/rules/0`, body: { rule: plan.calls[0]!.name } },
    ]);
    assert.ok(plan.calls.every((c) => !c.drift));
  });

  test('rules reordered: one insert, one removal by position (the name is in the list twice then)', async () => {
    const to = edit(VS, [
      `      - match: {op: test, path: /IP/src_addr, value: 10.1.1.1}
        action: {route: to-backend}
      - action: {route: {destination: backend}}`,
      `      - action: {route: {destination: backend}}
      - match: {op: test, path: /IP/src_addr, value: 10.1.1.1}
        action: {route: to-backend}`,
    ]);
    const { steps: s, b } = await planFor(BASE, repo(PROXY, TARGET, ROUTE, to));
    const moved = b.rulelists[0]!.rules[0]!;
    assert.deepEqual(s, [
      `insert-rule rules l7c.R.default.ingress.# POST /api/v1/rulelists/${RL}/rules/0`,
      `remove-rule rules l7c.R.default.ingress.# DELETE /api/v1/rulelists/${RL}/rules/2`,
    ]);
    const { plan } = await planFor(BASE, repo(PROXY, TARGET, ROUTE, to));
    assert.equal(plan.calls[0]!.name, moved);
    assert.equal(plan.calls[1]!.name, moved);
  });
  test('a Rule moved to another VirtualService: inserted there before it leaves the old list', async () => {
    const vs2 = edit(VS, ['name: ingress', 'name: ingress2'], ['port: 5000', 'port: 5001']);
    const rule = (vs: string) => `
kind: Rule
metadata: {name: vip}
spec:
  virtualService: ${vs}
  rule:
    match: {op: test, path: /IP/src_addr, value: 10.9.9.9}
    action: {route: to-backend}
`;
    const from = repo(BASE, vs2, rule('ingress'));
    const { steps: s, plan } = await planFor(from, repo(BASE, vs2, rule('ingress2')));
    assert.deepEqual(s, [
      `insert-rule rules l7c.R.default.vip.# POST /api/v1/rulelists/${RL}2/rules/2`, // appended after its 2 rules
      `remove-rule rules l7c.R.default.vip.# DELETE /api/v1/rulelists/${RL}/rules/l7c.R.default.vip.#`,
    ]);
    assert.ok(plan.calls.every((c) => !c.drift));
  });
});

describe('plan: content-named replacements (make-before-break)', () => {
  const ruleSwitch = [
    `insert-rule rules l7c.R.default.ingress.#(new) POST /api/v1/rulelists/${RL}/rules/0`,
    `remove-rule rules l7c.R.default.ingress.#(old) DELETE /api/v1/rulelists/${RL}/rules/l7c.R.default.ingress.#(old)`,
  ];

  test('route retry changed: new route, new rule, switch, old rule, old route', async () => {
    const { steps: s, plan } = await planFor(BASE, edit(BASE, ['num_retries: 3', 'num_retries: 5']));
    assert.deepEqual(s, [
      'replace-create routes l7c.RT.default.to-backend.#(new) POST /api/v1/routes',
      'replace-create rules l7c.R.default.ingress.#(new) POST /api/v1/rules',
      ...ruleSwitch,
      'replace-delete rules l7c.R.default.ingress.#(old) DELETE /api/v1/rules/l7c.R.default.ingress.#(old)',
      'replace-delete routes l7c.RT.default.to-backend.#(old) DELETE /api/v1/routes/l7c.RT.default.to-backend.#(old)',
    ]);
    assert.equal(plan.calls[0]!.replaces, plan.calls.at(-1)!.name);
    assert.match(plan.calls[0]!.reason, /^Route\/to-backend: .*retry\.num_retries/);
    assert.ok(plan.calls.every((c) => c.sessionsCut === 0 && !c.drift));
    assert.deepEqual(summarize({ format_version: '1', desired: '', proxies: [plan], unreachable: [] }), {
      add: 0,
      change: 1,
      replace: 2,
      destroy: 0,
      sessionsCut: 0,
    });
  });

  test('route destination changed', async () => {
    const other = `
kind: Target
metadata: {name: backend2}
spec:
  selector: {matchLabels: {app: gw}}
  cluster:
    spec: {UDP: {port: 6100}}
    endpoints: [{spec: {address: 10.0.1.1}}]
`;
    const from = repo(BASE, other);
    const { steps: s } = await planFor(
      from,
      edit(from, ['destination: backend\n  retry', 'destination: backend2\n  retry']),
    );
    assert.deepEqual(s, [
      'replace-create routes l7c.RT.default.to-backend.#(new) POST /api/v1/routes',
      'replace-create rules l7c.R.default.ingress.#(new) POST /api/v1/rules',
      ...ruleSwitch,
      'replace-delete rules l7c.R.default.ingress.#(old) DELETE /api/v1/rules/l7c.R.default.ingress.#(old)',
      'replace-delete routes l7c.RT.default.to-backend.#(old) DELETE /api/v1/routes/l7c.RT.default.to-backend.#(old)',
    ]);
  });

  const clusterReplaced = [
    `replace-create clusters ${C}(new) POST /api/v1/clusters`,
    `create endpoints ${C}.E.10.0.0.1(new) POST /api/v1/clusters/${C}(new)/endpoints`,
    `create endpoints ${C}.E.10.0.0.2(new) POST /api/v1/clusters/${C}(new)/endpoints`,
    'replace-create routes l7c.RT.default.ingress.#(new) POST /api/v1/routes',
    'replace-create routes l7c.RT.default.to-backend.#(new) POST /api/v1/routes',
    'replace-create rules l7c.R.default.ingress.#(new) POST /api/v1/rules',
    'replace-create rules l7c.R.default.ingress.#(new) POST /api/v1/rules',
    `insert-rule rules l7c.R.default.ingress.#(new) POST /api/v1/rulelists/${RL}/rules/0`,
    `insert-rule rules l7c.R.default.ingress.#(new) POST /api/v1/rulelists/${RL}/rules/1`,
    `remove-rule rules l7c.R.default.ingress.#(old) DELETE /api/v1/rulelists/${RL}/rules/l7c.R.default.ingress.#(old)`,
    `remove-rule rules l7c.R.default.ingress.#(old) DELETE /api/v1/rulelists/${RL}/rules/l7c.R.default.ingress.#(old)`,
    'replace-delete rules l7c.R.default.ingress.#(old) DELETE /api/v1/rules/l7c.R.default.ingress.#(old)',
    'replace-delete rules l7c.R.default.ingress.#(old) DELETE /api/v1/rules/l7c.R.default.ingress.#(old)',
    'replace-delete routes l7c.RT.default.ingress.#(old) DELETE /api/v1/routes/l7c.RT.default.ingress.#(old)',
    'replace-delete routes l7c.RT.default.to-backend.#(old) DELETE /api/v1/routes/l7c.RT.default.to-backend.#(old)',
    // the old cluster takes its endpoints with it: no endpoint deletes
    `replace-delete clusters ${C}(old) DELETE /api/v1/clusters/${C}(old)`,
  ];

  test('cluster spec changed: a new cluster with its endpoints, every referrer switched', async () => {
    const { steps: s, plan, a } = await planFor(BASE, edit(BASE, ['port: 6000', 'port: 6001']));
    assert.deepEqual(s, clusterReplaced);
    const del = plan.calls.at(-1)!;
    assert.deepEqual(
      del.undo,
      [a.clusters[0]!, ...a.endpoints].map((o, i) =>
        i === 0
          ? {
              method: 'POST',
              path: '/api/v1/clusters',
              body: { cluster: { name: o.name, spec: (o as any).spec } },
            }
          : {
              method: 'POST',
              path: `/api/v1/clusters/${encodeURIComponent(o.name.replace(/\.E\..*/, ''))}/endpoints`,
              body: { endpoint: { name: o.name, spec: (o as any).spec } },
            },
      ),
      'undoing a cluster delete re-creates it and then its endpoints',
    );
  });

  test('load balancer changed: same as a spec change', async () => {
    const to = edit(BASE, [
      '    endpoints: [{spec',
      '    loadbalancer: {policy: ConsistentHash, key: /IP/src_addr}\n    endpoints: [{spec',
    ]);
    const { steps: s } = await planFor(BASE, to);
    assert.deepEqual(s, clusterReplaced);
  });
});

describe('plan: listeners', () => {
  test('port changed: the new listener first, then the old one', async () => {
    const { steps: s, plan } = await planFor(BASE, edit(BASE, ['port: 5000', 'port: 5001']));
    assert.deepEqual(s, [
      'replace-create listeners l7c.L.default.ingress.#(new) POST /api/v1/listeners',
      'replace-delete listeners l7c.L.default.ingress.#(old) DELETE /api/v1/listeners/l7c.L.default.ingress.#(old)',
    ]);
    assert.equal(plan.calls[0]!.replaces, plan.calls[1]!.name);
  });

  test('same port, other spec: the old listener goes first (two UDP listeners on one port both bind)', async () => {
    const single = (p: number) =>
      edit(BASE, ['{UDP: {port: 5000}}', `{UDP: {port: 5000, connect: {address: 127.0.0.1, port: ${p}}}}`]);
    const a = await graphOf(single(9000));
    const sessions: LiveSession[] = [
      {
        name: 'UDP:127.0.0.1:9000-0.0.0.0:5000-0',
        listener: a.listeners[0]!.name,
        clusters: [],
        status: 'CONNECTED',
      },
      {
        name: 'UDP:127.0.0.1:9000-0.0.0.0:7000-0',
        listener: 'someone-elses',
        clusters: [],
        status: 'CONNECTED',
      },
    ];
    const { steps: s, plan } = await planFor(single(9000), single(9001), { sessions });
    assert.deepEqual(s, [
      'replace-delete listeners l7c.L.default.ingress.#(old) DELETE /api/v1/listeners/l7c.L.default.ingress.#(old)',
      'replace-create listeners l7c.L.default.ingress.#(new) POST /api/v1/listeners',
    ]);
    assert.deepEqual(
      plan.calls.map((c) => c.sessionsCut),
      [1, 0],
      'deleting a UDP singleton listener ends its session',
    );
  });

  test('TCP on the same port, other options: old first; a TCP listener delete ends no session', async () => {
    const tcp = (track: number) =>
      edit(BASE, [
        '    spec: {UDP: {port: 5000}}',
        `    spec: {TCP: {port: 5000}}\n    options: {track: ${track}}`,
      ]);
    const a = await graphOf(tcp(0));
    const sessions: LiveSession[] = [
      { name: 'TCP:x', listener: a.listeners[0]!.name, clusters: [], status: 'CONNECTED' },
    ];
    const { steps: s, plan } = await planFor(tcp(0), tcp(5), { sessions });
    assert.deepEqual(
      s.map((x) => x.split(' ')[0]),
      ['replace-delete', 'replace-create'],
    );
    assert.deepEqual(
      plan.calls.map((c) => c.sessionsCut),
      [0, 0],
    );
  });

  test('zombie: delete and create the same listener', async () => {
    const single = edit(BASE, [
      '{UDP: {port: 5000}}',
      '{UDP: {port: 5000, connect: {address: 127.0.0.1, port: 9000}}}',
    ]);
    const a = await graphOf(single);
    const { steps: s, plan } = await planFor(single, single, { zombies: [a.listeners[0]!.name] });
    assert.deepEqual(s, [
      'replace-delete listeners l7c.L.default.ingress.# DELETE /api/v1/listeners/l7c.L.default.ingress.#',
      'replace-create listeners l7c.L.default.ingress.# POST /api/v1/listeners',
    ]);
    assert.equal(plan.calls[1]!.replaces, a.listeners[0]!.name);
    assert.ok(plan.calls.every((c) => !c.drift && c.sessionsCut === 0));
  });
});

describe('plan: objects removed from the repository', () => {
  test('a VirtualService removed: top-down deletes; the Target deployed by selector stays', async () => {
    const { steps: s, plan } = await planFor(BASE, repo(PROXY, TARGET));
    assert.deepEqual(
      s.map((x) => x.split(' ').slice(0, 2).join(' ')),
      [
        'delete listeners',
        'delete rulelists',
        'delete rules',
        'delete rules',
        'delete routes',
        'delete routes',
      ],
    );
    assert.ok(plan.calls.every((c) => !c.drift && c.call.method === 'DELETE' && !c.call.path.includes('?')));
    assert.match(plan.calls[0]!.reason, /^VirtualService\/ingress: no longer in the configuration/);
  });

  test('everything removed: the cluster goes last and takes its endpoints', async () => {
    const { steps: s } = await planFor(BASE, PROXY);
    assert.deepEqual(s.at(-1), `delete clusters ${C}(old) DELETE /api/v1/clusters/${C}(old)`);
    assert.equal(s.filter((x) => x.includes('/endpoints')).length, 0);
  });
});

describe('plan: drift (changes made outside l7mp-compile)', () => {
  test('an object added by hand under our marker is deleted, flagged as drift', async () => {
    const a = await graphOf(BASE);
    const hand = { name: 'l7c.R.default.hand.0badc0de', action: { route: a.routes[0]!.name } };
    const live = liveOf(a);
    const plan = planProxy(a, { ...live, ours: { ...live.ours, rules: [...live.ours.rules, hand] } });
    assert.deepEqual(
      plan.calls.map((c) => [c.action, c.call.method, c.call.path, c.drift]),
      [['delete', 'DELETE', '/api/v1/rules/l7c.R.default.hand.0badc0de', true]],
    );
  });

  test('an object deleted by hand is created again, flagged as drift', async () => {
    const a = await graphOf(BASE);
    const gone = a.routes.find((r) => r.name.includes('to-backend'))!;
    const live = liveOf(a);
    const plan = planProxy(a, {
      ...live,
      ours: {
        ...live.ours,
        routes: live.ours.routes.filter((r) => r !== live.ours.routes.find((x) => x.name === gone.name)),
      },
    });
    assert.deepEqual(
      plan.calls.map((c) => [c.action, c.name, c.call.method, c.call.path, c.drift]),
      [['create', gone.name, 'POST', '/api/v1/routes', true]],
    );
  });

  test('a cluster changed by hand is re-created under its name with its endpoints', async () => {
    const a = await graphOf(BASE);
    const live = liveOf(a);
    const changed = { ...live.ours.clusters[0]!, spec: { protocol: 'UDP', port: 6999 } };
    const plan = planProxy(a, { ...live, ours: { ...live.ours, clusters: [changed] } });
    const c = encodeURIComponent(changed.name);
    assert.deepEqual(
      plan.calls.map((x) => [x.action, x.call.method, x.call.path, x.drift]),
      [
        ['replace-delete', 'DELETE', `/api/v1/clusters/${c}`, true],
        ['replace-create', 'POST', '/api/v1/clusters', true],
        ['create', 'POST', `/api/v1/clusters/${c}/endpoints`, true],
        ['create', 'POST', `/api/v1/clusters/${c}/endpoints`, true],
      ],
    );
    assert.match(plan.calls[0]!.reason, /spec\.port/);
  });

  test('an endpoint changed by hand under its name: removed, then added as configured', async () => {
    const a = await graphOf(BASE);
    const live = liveOf(a);
    const eps = live.ours.endpoints.map((e, i) => (i === 0 ? { ...e, weight: 7 } : e));
    const plan = planProxy(a, { ...live, ours: { ...live.ours, endpoints: eps } });
    assert.deepEqual(
      plan.calls.map((x) => [x.action, x.call.method, x.drift]),
      [
        ['remove-endpoint', 'DELETE', true],
        ['add-endpoint', 'POST', true],
      ],
    );
  });

  test('a rule taken out of its list by hand is inserted again; a foreign digit-named rule is removed by position', async () => {
    const a = await graphOf(BASE);
    const live = liveOf(a);
    const [r1, r2] = a.rulelists[0]!.rules as [string, string];
    const plan = planProxy(a, {
      ...live,
      ours: { ...live.ours, rulelists: [{ name: RL, rules: ['1st-rule', r2] }] },
    });
    assert.deepEqual(
      plan.calls.map((x) => [x.action, x.name, x.call.method, x.call.path, x.drift]),
      [
        ['insert-rule', r1, 'POST', `/api/v1/rulelists/${RL}/rules/0`, true],
        // by position: the proxy would read "1st-rule" as position 1 (facts L6)
        ['remove-rule', '1st-rule', 'DELETE', `/api/v1/rulelists/${RL}/rules/1`, true],
      ],
    );
  });

  test('objects in live.theirs are never touched, even when listed among ours', async () => {
    const a = await graphOf(BASE);
    const live = liveOf(a);
    const controller = { name: 'l7mp-controller', spec: { protocol: 'L7mpController' } };
    const plan = planProxy(a, {
      ...live,
      ours: { ...live.ours, clusters: [...live.ours.clusters, controller] },
      theirs: [
        { kind: 'clusters', name: 'l7mp-controller' },
        { kind: 'listeners', name: 'controller-listener' },
      ],
    });
    assert.deepEqual(plan.calls, []);
  });
});

describe('plan: rulelist edits', () => {
  /** Applies edits like the proxy, checking each position is valid when its call runs. */
  const run = (from: string[], to: string[]) => {
    const list = [...from];
    for (const e of editRuleList(from, to)) {
      if (e.op === 'insert') {
        assert.ok(e.position >= 0 && e.position <= list.length);
        list.splice(e.position, 0, e.rule);
      } else {
        assert.equal(list[e.position], e.rule);
        if (e.unique) assert.equal(list.indexOf(e.rule), list.lastIndexOf(e.rule));
        list.splice(e.position, 1);
      }
    }
    return list;
  };

  test('fewest calls, valid positions, inserts before removals', () => {
    const lcs = (a: string[], b: string[]): number =>
      a.length === 0 || b.length === 0
        ? 0
        : a[0] === b[0]
          ? 1 + lcs(a.slice(1), b.slice(1))
          : Math.max(lcs(a.slice(1), b), lcs(a, b.slice(1)));
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), { maxLength: 6 }),
        fc.uniqueArray(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'g'), { maxLength: 6 }),
        (from, to) => {
          assert.deepEqual(run(from, to), to);
          const edits = editRuleList(from, to);
          const k = lcs(from, to);
          assert.equal(edits.length, from.length - k + (to.length - k));
          const firstRemove = edits.findIndex((e) => e.op === 'remove');
          assert.ok(firstRemove < 0 || edits.slice(firstRemove).every((e) => e.op === 'remove'));
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('makePlan', () => {
  test('one part per observed proxy; unreachable ones listed; the desired hash pins the graphs', async () => {
    const a = await graphOf(BASE);
    const b = await graphOf(edit(BASE, ['port: 5000', 'port: 5001']));
    const unreachable = [{ proxy: 'other', adminUrl: 'http://127.0.0.1:1', error: 'ECONNREFUSED' }];
    const other = { ...a, proxy: 'other' };
    const plan = makePlan([b, other], [liveOf(a)], unreachable, { revision: 'abc123' });
    assert.equal(plan.format_version, '1');
    assert.equal(plan.revision, 'abc123');
    assert.deepEqual(
      plan.proxies.map((p) => [p.proxy, p.fingerprint, p.calls.length]),
      [['gw', 'fp-test', 2]],
    );
    assert.deepEqual(plan.unreachable, unreachable);
    assert.equal(makePlan([b, other], [liveOf(a)], unreachable).desired, plan.desired);
    assert.notEqual(makePlan([a, other], [liveOf(a)], unreachable).desired, plan.desired);
    assert.throws(() => makePlan([b], [], []), /neither observed nor reported unreachable/);
  });
});

// --- properties over random configurations ---------------------------------------------------

interface GenRule {
  readonly match?: string;
  readonly route: 0 | 1 | { readonly dest: 0 | 1; readonly retries?: number };
  readonly apply?: number;
  readonly named?: boolean;
}
interface GenConfig {
  readonly shift: number;
  readonly targets: readonly {
    readonly proto: 'UDP' | 'TCP';
    readonly port: number;
    readonly eps: readonly string[];
    readonly weight?: number;
    readonly lb: boolean;
    readonly deployed: boolean;
  }[];
  readonly routes: readonly { readonly dest: 0 | 1; readonly retries?: number }[];
  readonly services: readonly ({
    readonly proto: 'UDP' | 'TCP';
    readonly connect?: number;
    readonly track?: number;
    readonly rules: readonly GenRule[];
  } | null)[];
  readonly userRules: readonly ({
    readonly vs: number;
    readonly first: boolean;
    readonly rule: GenRule;
  } | null)[];
}

const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: undefined });
const genRule: fc.Arbitrary<GenRule> = fc.record(
  {
    match: opt(fc.constantFrom('10.1.1.1', '10.1.1.2')),
    route: fc.oneof(
      fc.constantFrom(0 as const, 1 as const),
      fc.record(
        { dest: fc.constantFrom(0 as const, 1 as const), retries: opt(fc.constantFrom(2, 3)) },
        { requiredKeys: ['dest'] },
      ),
    ),
    apply: opt(fc.constantFrom(1, 2)),
    named: opt(fc.boolean()),
  },
  { requiredKeys: ['route'] },
);
const genConfig: fc.Arbitrary<GenConfig> = fc.record({
  shift: fc.integer({ min: 0, max: 3 }),
  targets: fc.tuple(
    ...[0, 1].map(() =>
      fc.record(
        {
          proto: fc.constantFrom('UDP' as const, 'TCP' as const),
          port: fc.constantFrom(7000, 7001),
          eps: fc.subarray(['10.0.0.1', '10.0.0.2', '10.0.0.3'], { minLength: 1 }),
          weight: opt(fc.constantFrom(1, 2)),
          lb: fc.boolean(),
          deployed: fc.boolean(),
        },
        { requiredKeys: ['proto', 'port', 'eps', 'lb', 'deployed'] },
      ),
    ),
  ),
  routes: fc.tuple(
    ...[0, 1].map(() =>
      fc.record(
        { dest: fc.constantFrom(0 as const, 1 as const), retries: opt(fc.constantFrom(2, 3)) },
        { requiredKeys: ['dest'] },
      ),
    ),
  ),
  services: fc.tuple(
    ...[0, 1, 2].map(() =>
      fc.option(
        fc.record(
          {
            proto: fc.constantFrom('UDP' as const, 'TCP' as const),
            connect: opt(fc.constantFrom(9000, 9001)),
            track: opt(fc.constantFrom(0, 5)),
            rules: fc.array(genRule, { minLength: 1, maxLength: 3 }),
          },
          { requiredKeys: ['proto', 'rules'] },
        ),
        { nil: null },
      ),
    ),
  ),
  userRules: fc.tuple(
    ...[0, 1].map(() =>
      fc.option(fc.record({ vs: fc.constantFrom(0, 1, 2), first: fc.boolean(), rule: genRule }), {
        nil: null,
      }),
    ),
  ),
});

/** A second configuration that takes each part (a target, a route, a service, ...) from `a` or `b`: small diffs. */
function mix(a: GenConfig, b: GenConfig, m: readonly boolean[]): GenConfig {
  const pick = <T>(i: number, x: T, y: T) => (m[i] ? y : x);
  return {
    shift: pick(0, a.shift, b.shift),
    targets: a.targets.map((t, i) => pick(1 + i, t, b.targets[i]!)),
    routes: a.routes.map((r, i) => pick(3 + i, r, b.routes[i]!)),
    services: a.services.map((v, i) => pick(5 + i, v, b.services[i]!)),
    userRules: a.userRules.map((u, i) => pick(8 + i, u, b.userRules[i]!)),
  };
}

/** Pairs of configurations: unrelated ones (big diffs) and neighbours (one or a few parts differ). */
const genPair: fc.Arbitrary<[GenConfig, GenConfig]> = fc.oneof(
  fc.tuple(genConfig, genConfig),
  fc
    .tuple(genConfig, genConfig, fc.array(fc.boolean(), { minLength: 10, maxLength: 10 }))
    .map(([a, b, m]) => [a, mix(a, b, m)] as [GenConfig, GenConfig]),
);

/** The configuration as a repo (YAML is a superset of JSON: one JSON document per object). */
function yamlOf(c: GenConfig): string {
  const docs: unknown[] = [
    {
      kind: 'Proxy',
      metadata: { name: 'gw', labels: { app: 'gw' } },
      spec: { admin: { url: 'http://127.0.0.1:18001' }, address: '127.0.0.1' },
    },
  ];
  c.targets.forEach((t, i) =>
    docs.push({
      kind: 'Target',
      metadata: { name: `t${i}` },
      spec: {
        ...(t.deployed ? { selector: { matchLabels: { app: 'gw' } } } : {}),
        cluster: {
          spec: { [t.proto]: { port: t.port } },
          endpoints: t.eps.map((address) => ({
            spec: { address },
            ...(t.weight ? { weight: t.weight } : {}),
          })),
          ...(t.lb ? { loadbalancer: { policy: 'ConsistentHash', key: '/IP/src_addr' } } : {}),
        },
      },
    }),
  );
  const retry = (n?: number) => (n ? { retry: { retry_on: 'always', num_retries: n, timeout: 500 } } : {});
  c.routes.forEach((r, i) =>
    docs.push({
      kind: 'Route',
      metadata: { name: `r${i}` },
      spec: { destination: `t${r.dest}`, ...retry(r.retries) },
    }),
  );
  const present = (i: number) => c.services[i] != null;
  const rule = (r: GenRule, vs: number, k: number) => ({
    ...(r.named ? { name: `n${k}` } : {}),
    ...(r.match ? { match: { op: 'test', path: '/IP/src_addr', value: r.match } } : {}),
    action: {
      route:
        typeof r.route === 'number'
          ? `r${r.route}`
          : { destination: `t${r.route.dest}`, ...retry(r.route.retries) },
      // apply only forward (no cycles) and only to a service that is there
      ...(r.apply !== undefined && r.apply > vs && present(r.apply) ? { apply: `vs${r.apply}` } : {}),
    },
  });
  c.services.forEach((s, i) => {
    if (!s) return;
    const fields = {
      port: 5000 + ((i + c.shift) % 4),
      ...(s.proto === 'UDP' && s.connect ? { connect: { address: '127.0.0.1', port: s.connect + i } } : {}),
    };
    docs.push({
      kind: 'VirtualService',
      metadata: { name: `vs${i}` },
      spec: {
        selector: { matchLabels: { app: 'gw' } },
        listener: {
          spec: { [s.proto]: fields },
          ...(s.track !== undefined ? { options: { track: s.track } } : {}),
          rules: s.rules.map((r, k) => rule(r, i, k)),
        },
      },
    });
  });
  c.userRules.forEach((u, i) => {
    if (!u || !present(u.vs)) return;
    docs.push({
      kind: 'Rule',
      metadata: { name: `user${i}` },
      spec: {
        virtualService: `vs${u.vs}`,
        ...(u.first ? { position: 0 } : {}),
        rule: rule({ ...u.rule, named: false }, u.vs, 9),
      },
    });
  });
  return docs.map((d) => JSON.stringify(d)).join('\n---\n');
}

const isSingletonListener = (l: L7Listener) => l.spec.protocol === 'UDP' && l.spec.connect !== undefined;

/** One live session per listener: the singleton ones die with their listener, the rest survive. */
const sessionsOf = (g: ProxyGraph): LiveSession[] =>
  g.listeners.map((l) => ({ name: `S:${l.name}`, listener: l.name, clusters: [], status: 'CONNECTED' }));

/** Equal object sets (each kind sorted by name; a rulelist's order matters and is kept). */
const same = (x: LiveObjects, y: LiveObjects) => {
  const sorted = (o: LiveObjects) =>
    GRAPH_KINDS.map((k) => [...o[k]].sort((p, q) => (p.name < q.name ? -1 : p.name > q.name ? 1 : 0)));
  return canonical(sorted(x)) === canonical(sorted(y));
};

/** Prefix lengths to check undo after: all of them for short plans, about a dozen for long ones. */
function prefixes(n: number): number[] {
  const step = Math.max(1, Math.ceil(n / 12));
  const ks = new Set<number>([n - 1, n].filter((k) => k >= 0));
  for (let k = 0; k <= n; k += step) ks.add(k);
  return [...ks];
}

describe('plan properties (fast-check, fake proxy)', () => {
  test('plan(b, live a) applied to a gives exactly b, make-before-break, sessions as predicted', async () => {
    let checked = 0;
    await fc.assert(
      fc.asyncProperty(genPair, async ([ca, cb]) => {
        const [a, b] = [await graphOf(yamlOf(ca)), await graphOf(yamlOf(cb))];
        assert.deepEqual(planProxy(a, liveOf(a)).calls, [], 'plan(a, a) is empty');
        assert.deepEqual(
          planProxy(a, liveOf(a, { ours: normaliseObjects(a) })).calls,
          [],
          'also as observed',
        );
        const sessions = sessionsOf(a);
        const plan = planProxy(b, liveOf(a, { sessions }));
        const sim = new ProxySim(liveOf(a).ours, sessions);
        for (const c of plan.calls) sim.apply(c.call);
        assert.deepEqual(
          sim.violations,
          [],
          `make-before-break broken:\n${plan.calls.map((c) => `${c.call.method} ${c.call.path}`).join('\n')}`,
        );
        assert.ok(same(sim.snapshot(), b), 'live after the plan is not the desired graph');
        assert.deepEqual(
          planProxy(b, liveOf({ ...b, ...sim.snapshot() })).calls,
          [],
          'a second plan is empty',
        );
        assert.equal(
          plan.calls.reduce((n, c) => n + c.sessionsCut, 0),
          sim.ended,
          'sessionsCut predicts the sessions the calls end',
        );
        assert.equal(
          sim.ended,
          a.listeners.filter((l) => isSingletonListener(l) && !b.listeners.some((x) => x.name === l.name))
            .length,
        );
        // Apply's journal: after any prefix of the calls, their undos in reverse order restore a.
        for (const k of prefixes(plan.calls.length)) {
          const s = new ProxySim(liveOf(a).ours);
          for (const c of plan.calls.slice(0, k)) s.apply(c.call);
          for (const c of plan.calls.slice(0, k).reverse()) for (const u of c.undo ?? []) s.apply(u);
          assert.ok(same(s.snapshot(), a), `undo after ${k} calls does not restore the live state`);
        }
        checked++;
      }),
      { numRuns: 300 },
    );
    assert.equal(checked, 300);
  });

  const PERTURB = [
    'drop-route',
    'drop-cluster',
    'drop-rule',
    'drop-rulelist',
    'drop-listener',
    'drop-endpoint',
    'drop-rule-ref',
    'hand-rule',
    'hand-cluster',
    'change-endpoint',
    'change-cluster',
    'change-route',
    'change-listener',
    'steal-port',
    'zombie',
  ] as const;

  /** Changes made behind l7mp-compile's back, as the proxy would leave them. */
  function perturb(
    o: LiveObjects,
    what: readonly (typeof PERTURB)[number][],
  ): { ours: LiveObjects; zombies: string[] } {
    let { listeners, rulelists, rules, routes, clusters, endpoints } = objectsOf(o);
    const zombies: string[] = [];
    for (const p of what) {
      switch (p) {
        case 'drop-route':
          routes = routes.slice(1);
          break;
        case 'drop-cluster':
          if (clusters[0]) endpoints = endpoints.filter((e) => e.cluster !== clusters[0]!.name);
          clusters = clusters.slice(1);
          break;
        case 'drop-rule':
          rules = rules.slice(1);
          break;
        case 'drop-rulelist':
          rulelists = rulelists.slice(1);
          break;
        case 'drop-listener':
          listeners = listeners.slice(1);
          break;
        case 'drop-endpoint':
          endpoints = endpoints.slice(1);
          break;
        case 'drop-rule-ref':
          rulelists = rulelists.map((rl, i) => (i === 0 ? { ...rl, rules: rl.rules.slice(1) } : rl));
          break;
        case 'hand-rule':
          rules = [
            ...rules,
            { name: 'l7c.R.default.hand.0badc0de', action: { route: 'l7c.RT.default.hand.0badc0de' } },
          ];
          break;
        case 'hand-cluster':
          clusters = [
            ...clusters,
            { name: 'l7c.C.default.hand.0badc0de', spec: { protocol: 'UDP', port: 7777 } },
          ];
          endpoints = [
            ...endpoints,
            {
              name: 'l7c.C.default.hand.0badc0de.E.1.2.3.4',
              cluster: 'l7c.C.default.hand.0badc0de',
              spec: { address: '1.2.3.4' },
            },
          ];
          break;
        case 'change-endpoint':
          endpoints = endpoints.map((e, i) => (i === 0 ? { ...e, weight: 9 } : e));
          break;
        case 'change-cluster':
          clusters = clusters.map((c, i) => (i === 0 ? { ...c, spec: { ...c.spec, port: 7999 } } : c));
          break;
        case 'change-route':
          routes = routes.map((r, i) => (i === 0 ? { ...r, retry: { retry_on: 'never' } } : r));
          break;
        case 'change-listener':
          listeners = listeners.map((l, i) => (i === 0 ? { ...l, spec: { ...l.spec, port: 5999 } } : l));
          break;
        case 'steal-port': // a port the configuration may give another listener
          listeners = listeners.map((l, i) => (i === 0 ? { ...l, spec: { ...l.spec, port: 5003 } } : l));
          break;
        case 'zombie':
          for (const l of listeners) if (isSingletonListener(l)) zombies.push(l.name);
          break;
      }
    }
    return { ours: { listeners, rulelists, rules, routes, clusters, endpoints }, zombies };
  }

  test('with drift on the live side, the plan still converges to b and never trips the proxy', async () => {
    await fc.assert(
      fc.asyncProperty(genPair, fc.subarray([...PERTURB], { minLength: 1 }), async ([ca, cb], what) => {
        const [a, b] = [await graphOf(yamlOf(ca)), await graphOf(yamlOf(cb))];
        const { ours, zombies } = perturb(a, what);
        const plan = planProxy(b, liveOf(a, { ours, zombies }));
        const sim = new ProxySim(ours);
        for (const c of plan.calls) sim.apply(c.call);
        assert.deepEqual(
          sim.violations.filter((v) => !v.includes('→ missing')),
          [],
          'no listener created dead or on a port another listener holds',
        );
        assert.ok(same(sim.snapshot(), b), 'live after the plan is not the desired graph');
        assert.deepEqual(planProxy(b, liveOf({ ...b, ...sim.snapshot() })).calls, []);
        if (same(ours, b) && zombies.length === 0) assert.deepEqual(plan.calls, []);
        for (const k of prefixes(plan.calls.length)) {
          const s = new ProxySim(ours);
          for (const c of plan.calls.slice(0, k)) s.apply(c.call);
          for (const c of plan.calls.slice(0, k).reverse()) for (const u of c.undo ?? []) s.apply(u);
          assert.ok(same(s.snapshot(), ours), `undo after ${k} calls does not restore the live state`);
        }
      }),
      { numRuns: 300 },
    );
  });
});
