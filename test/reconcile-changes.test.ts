// Each kind of change, planned and applied to a REAL l7mp proxy while traffic flows through it.
//
// The repository (test/support/mesh-repo.ts) has one proxy with three listeners, each routed to
// echo backends that tag their replies (so a reply says which backend answered):
//   udp-server  UDP 18210, server mode → Target udp-a (127.0.0.1 and 127.0.0.2 on 18220, Trivial);
//               before it, Rule object `special` (position 0): source port 18262 → Target udp-b
//   udp-single  UDP 18211, singleton, connected to the client at 127.0.0.1:18250 → Target udp-a
//   tcp-in      TCP 18212 → Target tcp-a (127.0.0.1:18240)
// Every case starts from the same base: a fresh empty proxy, the base repository applied, then a
// live UDP session through each UDP listener and a live TCP connection, each sending every 50 ms.
// Then the repository gets one small edit, and the case checks:
//   - the exact calls planned (action + kind, in order, plus what identifies them);
//   - apply converges (applied, verified), the next plan is empty and applying it makes no call;
//   - the live sessions opened before the change keep carrying traffic, on the backend they had,
//     unless the change replaced or removed their own listener: only a UDP singleton listener's
//     session then ends, and the plan predicted it (`sessionsCut` on that listener's delete call);
//     TCP and UDP server-mode sessions survive a non-recursive listener delete (facts §4.2, §4.3);
//   - new sessions follow the new configuration (the new backend's tag, the new port, ...).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createConnection } from 'node:net';
import { rm } from 'node:fs/promises';
import { compileRepo } from '../runtime/compile-repo.ts';
import { startEmbedded, type Embedded } from '../runtime/embedded.ts';
import { planRepo } from '../runtime/reconcile/plan-repo.ts';
import { applyPlan, type ApplyEvent } from '../runtime/reconcile/apply.ts';
import type { CompileResult } from '../compiler/pipeline.ts';
import type { GraphKind, L7Listener } from '../compiler/model/graph.ts';
import type { Action, PlannedCall, ProxyPlan } from '../runtime/reconcile/types.ts';
import {
  meshTempDir,
  ruleObjectOf,
  serviceOf,
  targetOf,
  writeMeshRepo,
  type MeshDesc,
} from './support/mesh-repo.ts';
import {
  openLiveTcp,
  openLiveUdp,
  probeTcp,
  probeUdp,
  type LiveClient,
  type Tally,
} from './support/live-traffic.ts';
import { tcpEchoServer, udpEchoServer, type EchoServer } from './support/traffic.ts';

// Generous: a loaded 2-core machine starts an l7mp process in about a second, sometimes in ten.
const TEST_TIMEOUT = 180_000;
/** how long live traffic may take to show up again after a change */
const TRAFFIC_TIMEOUT = 20_000;

const PROXY = 'mesh';
const ADMIN_PORT = 18201;
const PORT = {
  udpServer: 18210,
  udpSingle: 18211,
  tcp: 18212,
  /** the UDP singleton listener's one peer: the live client binds it */
  singleClient: 18250,
  /** Rule `special` matches this source port */
  specialClient: 18262,
  /** the rule inserted by one case matches this source port */
  vipClient: 18261,
  /** source ports of the new sessions after the load-balancer change */
  hashClients: [18270, 18271, 18272, 18273, 18274, 18275, 18276, 18277],
  udpA: 18220,
  udpB: 18221,
  tcpA: 18240,
  tcpAMoved: 18241,
  tcpB: 18242,
  // listener ports after a port change
  udpServerMoved: 18213,
  udpSingleMoved: 18214,
  tcpMoved: 18215,
} as const;

/** Backend tags: what the echo server behind each address:port puts before every reply. */
const TAG = {
  a1: 'a1:', // udp-a endpoint 127.0.0.1
  a2: 'a2:', // udp-a endpoint 127.0.0.2
  a3: 'a3:', // 127.0.0.3: the endpoint one case adds
  b: 'b:', // udp-b
  t1: 't1:', // tcp-a
  t1Moved: 't1-moved:', // tcp-a after its port changed
  tb: 'tb:', // tcp-b
} as const;

const BASE: MeshDesc = {
  proxies: [{ name: PROXY, adminPort: ADMIN_PORT, labels: { app: 'mesh' } }],
  targets: [
    {
      name: 'udp-a',
      protocol: 'UDP',
      port: PORT.udpA,
      endpoints: [{ address: '127.0.0.1' }, { address: '127.0.0.2' }],
    },
    { name: 'udp-b', protocol: 'UDP', port: PORT.udpB, endpoints: [{ address: '127.0.0.1' }] },
    { name: 'tcp-a', protocol: 'TCP', port: PORT.tcpA, endpoints: [{ address: '127.0.0.1' }] },
    // used by no route in the base, so not deployed until a change routes to it
    { name: 'tcp-b', protocol: 'TCP', port: PORT.tcpB, endpoints: [{ address: '127.0.0.1' }] },
  ],
  services: [
    {
      name: 'udp-server',
      selector: { app: 'mesh' },
      listener: { protocol: 'UDP', port: PORT.udpServer },
      rules: [{ route: { destination: 'udp-a' } }],
    },
    {
      name: 'udp-single',
      selector: { app: 'mesh' },
      listener: {
        protocol: 'UDP',
        port: PORT.udpSingle,
        connect: { address: '127.0.0.1', port: PORT.singleClient },
      },
      rules: [{ route: { destination: 'udp-a' } }],
    },
    {
      name: 'tcp-in',
      selector: { app: 'mesh' },
      listener: { protocol: 'TCP', port: PORT.tcp },
      rules: [{ route: { destination: 'tcp-a' } }],
    },
  ],
  ruleObjects: [
    {
      name: 'special',
      virtualService: 'udp-server',
      position: 0,
      rule: {
        match: { op: 'test', path: '/UDP/src_port', value: PORT.specialClient },
        route: { destination: 'udp-b' },
      },
    },
  ],
};

const RULELIST = {
  udpServer: 'l7c.RL.default.udp-server',
  udpSingle: 'l7c.RL.default.udp-single',
  tcp: 'l7c.RL.default.tcp-in',
};

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

// ---------------------------------------------------------------------------------------------
// Shared state: the echo backends live for the whole file; a proxy lives for one case.

let backends: EchoServer[] = [];
let repoDir: string | undefined;
/** proxies still running if a case ended without stopping them: `after` stops them */
const running = new Set<Embedded>();

before(async () => {
  repoDir = await meshTempDir();
  backends = await Promise.all([
    udpEchoServer({ port: PORT.udpA, host: '127.0.0.1', tag: TAG.a1 }),
    udpEchoServer({ port: PORT.udpA, host: '127.0.0.2', tag: TAG.a2 }),
    udpEchoServer({ port: PORT.udpA, host: '127.0.0.3', tag: TAG.a3 }),
    udpEchoServer({ port: PORT.udpB, host: '127.0.0.1', tag: TAG.b }),
    tcpEchoServer({ port: PORT.tcpA, host: '127.0.0.1', tag: TAG.t1 }),
    tcpEchoServer({ port: PORT.tcpAMoved, host: '127.0.0.1', tag: TAG.t1Moved }),
    tcpEchoServer({ port: PORT.tcpB, host: '127.0.0.1', tag: TAG.tb }),
  ]);
});

after(async () => {
  await Promise.all([...running].map((e) => e.stop()));
  running.clear();
  await Promise.all(backends.map((b) => b.close()));
  backends = [];
  if (repoDir) await rm(repoDir, { recursive: true, force: true });
});

async function compileDesc(d: MeshDesc): Promise<CompileResult> {
  await writeMeshRepo(repoDir!, d);
  const res = await compileRepo(repoDir!);
  assert.deepEqual(
    res.diagnostics.filter((x) => x.severity === 'error').map((x) => `${x.code} ${x.file}: ${x.message}`),
    [],
    'the test repository compiles',
  );
  assert.equal(res.graphs.length, 1);
  return res;
}

const listenerOf = (res: CompileResult, rulelist: string): L7Listener => {
  const l = res.graphs[0]!.listeners.find((x) => x.rules === rulelist);
  assert.ok(l, `a listener with rulelist ${rulelist}`);
  return l;
};

const showCalls = (calls: readonly PlannedCall[]) =>
  calls
    .map(
      (c) =>
        `  ${c.action} ${c.kind} ${c.name}${c.rulelist ? ` in ${c.rulelist}@${c.position}` : ''}${c.replaces ? ` (replaces ${c.replaces})` : ''} cut=${c.sessionsCut}`,
    )
    .join('\n');

/** The one proxy's part of a fresh plan. */
async function planOf(res: CompileResult) {
  const r = await planRepo(res);
  assert.deepEqual(r.plan.unreachable, [], 'the proxy answers');
  assert.equal(r.plan.proxies.length, 1);
  return { ...r, proxyPlan: r.plan.proxies[0]! };
}

/** Plans and applies; the apply must execute every call and verify. */
async function planAndApply(res: CompileResult): Promise<ProxyPlan> {
  const { plan, clientFor, proxyPlan } = await planOf(res);
  const results = await applyPlan(plan, { clientFor, desired: res.graphs });
  assert.equal(results.length, 1);
  const r = results[0]!;
  assert.equal(
    r.status,
    proxyPlan.calls.length ? 'applied' : 'unchanged',
    `apply: ${JSON.stringify(r)}\nplan:\n${showCalls(proxyPlan.calls)}`,
  );
  assert.equal(r.verified, true, 'verified');
  assert.equal(r.callsMade, proxyPlan.calls.length);
  return proxyPlan;
}

/** Converged and stable: the next plan is empty and applying it makes no call. */
async function assertStable(res: CompileResult): Promise<void> {
  const { plan, clientFor, proxyPlan } = await planOf(res);
  assert.deepEqual(proxyPlan.calls, [], `the next plan must be empty, got:\n${showCalls(proxyPlan.calls)}`);
  const calls: ApplyEvent[] = [];
  const results = await applyPlan(plan, {
    clientFor,
    desired: res.graphs,
    onEvent: (e) => void (e.type === 'call' && calls.push(e)),
  });
  assert.deepEqual(calls, [], 'a second apply makes zero calls');
  assert.equal(results[0]?.status, 'unchanged', JSON.stringify(results));
  assert.equal(results[0]?.callsMade, 0);
}

/** A fresh empty proxy (registered for cleanup) with the base repository applied. */
async function startBase(): Promise<{ emb: Embedded; base: CompileResult }> {
  const base = await compileDesc(BASE);
  const emb = await startEmbedded(base.model.proxies);
  running.add(emb);
  try {
    assert.deepEqual(
      emb.started.map((s) => s.proxy),
      [PROXY],
    );
    await planAndApply(base);
  } catch (e) {
    await stopProxy(emb);
    throw e;
  }
  return { emb, base };
}

async function stopProxy(emb: Embedded): Promise<void> {
  running.delete(emb);
  await emb.stop();
}

/** On failure, show what the proxy said. */
async function withLogs<T>(emb: Embedded, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (e) {
    if (e instanceof Error)
      e.message += emb.started
        .map((s) => `\n--- proxy ${s.proxy} (pid ${s.local.pid}) ---\n${s.local.logs().slice(-3000)}`)
        .join('');
    throw e;
  }
}

/** Only this tag answered, at least once. */
function assertOnly(t: Tally, tag: string, what: string): void {
  assert.ok(t.total > 0, `${what}: some replies`);
  assert.deepEqual(t.byTag, { [tag]: t.total }, `${what}: every reply from ${tag}`);
}

/** A new TCP connection to `port` is refused (nothing listens there any more). */
async function tcpRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

/** No reply at all to a new UDP session from `localPort` (default any) within `ms`. */
async function udpSilent(port: number, opts: { localPort?: number; ms?: number } = {}): Promise<Tally> {
  const c = await openLiveUdp({ port, ...(opts.localPort ? { localPort: opts.localPort } : {}) });
  try {
    await sleep(opts.ms ?? 2000);
    return c.since(0);
  } finally {
    await c.close();
  }
}

// ---------------------------------------------------------------------------------------------
// The cases

type Live = 'udpServer' | 'udpSingle' | 'tcp';

interface CaseCtx {
  readonly base: CompileResult;
  readonly changed: CompileResult;
  readonly calls: readonly PlannedCall[];
  readonly live: Record<Live, LiveClient>;
}

interface ChangeCase {
  readonly name: string;
  readonly edit: (d: MeshDesc) => void;
  /** the planned calls: action and kind, in order */
  readonly calls: readonly (readonly [Action, GraphKind])[];
  /** what else identifies the calls (names, positions, what they replace) */
  readonly planDetail?: (ctx: CaseCtx) => void;
  /** the live session whose own listener the change deletes, and which therefore ends */
  readonly cuts?: 'udpSingle';
  /** new sessions after the change follow the new configuration */
  readonly newSessions: (ctx: CaseCtx) => Promise<void>;
}

/** Make-before-break of one content-named route (and so of its rule) inside an existing rulelist. */
const ROUTE_SWAP = [
  ['replace-create', 'routes'],
  ['replace-create', 'rules'],
  ['insert-rule', 'rules'],
  ['remove-rule', 'rules'],
  ['replace-delete', 'rules'],
  ['replace-delete', 'routes'],
] as const;

const named = (calls: readonly PlannedCall[], action: Action, kind: GraphKind) =>
  calls.filter((c) => c.action === action && c.kind === kind);

/** Each create half names the live object it replaces, and each of those is deleted by a later call. */
function assertPairedReplacements(calls: readonly PlannedCall[]): void {
  for (const [i, c] of calls.entries()) {
    if (c.action !== 'replace-create') continue;
    assert.ok(c.replaces && c.replaces !== c.name, `${c.kind} ${c.name} says what it replaces`);
    const del = calls.findIndex(
      (d) => d.action === 'replace-delete' && d.kind === c.kind && d.name === c.replaces,
    );
    assert.ok(del > i, `the old ${c.kind} ${c.replaces} is deleted after ${c.name} is created`);
  }
}

/** The rule references moved in `rulelist`: the new rule goes in where the old one was, then the old one goes. */
function assertRuleSwap(calls: readonly PlannedCall[], rulelist: string): void {
  const ins = calls.filter((c) => c.action === 'insert-rule' && c.rulelist === rulelist);
  const rem = calls.filter((c) => c.action === 'remove-rule' && c.rulelist === rulelist);
  assert.equal(ins.length, 1, `one insert into ${rulelist}`);
  assert.equal(rem.length, 1, `one removal from ${rulelist}`);
  const created = calls.find(
    (c) => c.action === 'replace-create' && c.kind === 'rules' && c.name === ins[0]!.name,
  );
  assert.ok(created, `the inserted rule ${ins[0]!.name} is the new version`);
  assert.equal(rem[0]!.name, created.replaces, 'the removed rule is the old version');
  assert.ok(
    calls.indexOf(ins[0]!) < calls.indexOf(rem[0]!),
    `${rulelist}: the new rule goes in before the old one goes`,
  );
}

/**
 * Action and kind of each call, in order, except that within a run of rule-list edits the calls are
 * sorted (inserts before removals): how edits of DIFFERENT rule lists interleave is not part of the
 * contract, while each list's own order is checked by `assertRuleSwap`.
 */
function comparable(calls: readonly (readonly [Action, GraphKind])[]): string[] {
  const out: string[] = [];
  let run: string[] = [];
  const flush = () => {
    out.push(...run.sort());
    run = [];
  };
  for (const [action, kind] of calls) {
    if (action === 'insert-rule' || action === 'remove-rule') run.push(`${action} ${kind}`);
    else {
      flush();
      out.push(`${action} ${kind}`);
    }
  }
  flush();
  return out;
}

const CASES: readonly ChangeCase[] = [
  {
    name: 'endpoint added to a Target: one add-endpoint',
    edit: (d) => void targetOf(d, 'udp-a').endpoints.push({ address: '127.0.0.3' }),
    calls: [['add-endpoint', 'endpoints']],
    planDetail: ({ calls, base }) => {
      const cluster = base.graphs[0]!.clusters.find((c) => c.name.startsWith('l7c.C.default.udp-a.'))!.name;
      assert.equal(calls[0]!.name, `${cluster}.E.127.0.0.3`, 'added to the existing cluster, in place');
    },
    newSessions: async () => {
      // Trivial LB: new sessions still go to the first endpoint.
      assertOnly(await probeUdp({ port: PORT.udpServer }), TAG.a1, 'new UDP session');
    },
  },
  {
    name: 'endpoint removed from a Target: one remove-endpoint',
    edit: (d) => void (targetOf(d, 'udp-a').endpoints = [{ address: '127.0.0.2' }]),
    calls: [['remove-endpoint', 'endpoints']],
    planDetail: ({ calls }) =>
      assert.match(calls[0]!.name, /^l7c\.C\.default\.udp-a\.[0-9a-f]{8}\.E\.127\.0\.0\.1$/),
    newSessions: async () => {
      // The live sessions stay on the removed endpoint (checked by the caller); new ones cannot.
      assertOnly(await probeUdp({ port: PORT.udpServer }), TAG.a2, 'new UDP session');
    },
  },
  {
    name: 'Rule object inserted at position 0 with a match: route, rule, one insert-rule',
    edit: (d) =>
      void d.ruleObjects.push({
        // (named to sort before `special`: Rule objects at one position are placed in name order)
        name: 'priority',
        virtualService: 'udp-server',
        position: 0,
        rule: {
          match: { op: 'test', path: '/UDP/src_port', value: PORT.vipClient },
          route: { destination: 'udp-b' },
        },
      }),
    calls: [
      ['create', 'routes'],
      ['create', 'rules'],
      ['insert-rule', 'rules'],
    ],
    planDetail: ({ calls, changed }) => {
      const rule = calls[1]!.name;
      assert.match(rule, /^l7c\.R\.default\.priority\./);
      assert.equal(calls[2]!.name, rule);
      assert.equal(calls[2]!.rulelist, RULELIST.udpServer);
      assert.equal(calls[2]!.position, 0);
      assert.equal(changed.graphs[0]!.rulelists.find((r) => r.name === RULELIST.udpServer)!.rules[0], rule);
    },
    newSessions: async () => {
      assertOnly(
        await probeUdp({ port: PORT.udpServer, localPort: PORT.vipClient }),
        TAG.b,
        'matched by the new rule',
      );
      assertOnly(
        await probeUdp({ port: PORT.udpServer, localPort: PORT.specialClient }),
        TAG.b,
        'still matched by `special`',
      );
      assertOnly(await probeUdp({ port: PORT.udpServer }), TAG.a1, 'any other source: the catch-all');
    },
  },
  {
    name: 'Rule object removed: remove-rule, then its rule, route and (now unused) cluster deleted',
    edit: (d) => void (d.ruleObjects = []),
    calls: [
      ['remove-rule', 'rules'],
      ['delete', 'rules'],
      ['delete', 'routes'],
      ['delete', 'clusters'],
    ],
    planDetail: ({ calls }) => {
      assert.match(calls[0]!.name, /^l7c\.R\.default\.special\./);
      assert.equal(calls[0]!.rulelist, RULELIST.udpServer);
      assert.equal(calls[1]!.name, calls[0]!.name);
      assert.match(calls[2]!.name, /^l7c\.RT\.default\.special\./);
      assert.match(calls[3]!.name, /^l7c\.C\.default\.udp-b\./);
    },
    newSessions: async () => {
      assertOnly(
        await probeUdp({ port: PORT.udpServer, localPort: PORT.specialClient }),
        TAG.a1,
        'the source `special` matched now takes the catch-all',
      );
    },
  },
  {
    name: 'rules reordered (Rule object moved behind the catch-all): one insert-rule and one remove-rule',
    edit: (d) => void delete ruleObjectOf(d, 'special').position, // appended after the VirtualService's rule
    calls: [
      ['insert-rule', 'rules'],
      ['remove-rule', 'rules'],
    ],
    planDetail: ({ calls, changed }) => {
      for (const c of calls) assert.equal(c.rulelist, RULELIST.udpServer);
      assert.deepEqual(
        calls.map((c) => c.action),
        ['insert-rule', 'remove-rule'],
        'make-before-break: the rule goes in at its new place before it leaves the old one',
      );
      assert.equal(calls[0]!.name, calls[1]!.name, 'the same rule is moved');
      const want = changed.graphs[0]!.rulelists.find((r) => r.name === RULELIST.udpServer)!.rules;
      assert.match(want[1]!, /^l7c\.R\.default\.special\./);
    },
    newSessions: async () => {
      assertOnly(
        await probeUdp({ port: PORT.udpServer, localPort: PORT.specialClient }),
        TAG.a1,
        'the catch-all now comes first',
      );
    },
  },
  {
    name: 'route retry changed (UDP singleton route): new route and rule beside the old, switch, delete the old',
    edit: (d) =>
      void (serviceOf(d, 'udp-single').rules[0]!.route.retry = {
        retry_on: 'connect-failure',
        num_retries: 3,
        timeout: 500,
      }),
    calls: ROUTE_SWAP,
    planDetail: ({ calls, changed }) => {
      assertPairedReplacements(calls);
      assertRuleSwap(calls, RULELIST.udpSingle);
      const route = changed.graphs[0]!.routes.find((r) => r.name === calls[0]!.name)!;
      assert.deepEqual(route.retry, { retry_on: 'connect-failure', num_retries: 3, timeout: 500 });
    },
    newSessions: async () => {
      assertOnly(await probeUdp({ port: PORT.udpServer }), TAG.a1, 'the other listener is unaffected');
    },
  },
  {
    name: 'route destination changed (TCP): new cluster, route and rule; switch; old rule, route and cluster deleted',
    edit: (d) => void (serviceOf(d, 'tcp-in').rules[0]!.route.destination = 'tcp-b'),
    calls: [['create', 'clusters'], ['create', 'endpoints'], ...ROUTE_SWAP, ['delete', 'clusters']],
    planDetail: ({ calls }) => {
      assertPairedReplacements(calls);
      assertRuleSwap(calls, RULELIST.tcp);
      assert.match(calls[0]!.name, /^l7c\.C\.default\.tcp-b\./);
      assert.match(calls.at(-1)!.name, /^l7c\.C\.default\.tcp-a\./);
    },
    newSessions: async () => {
      assertOnly(await probeTcp({ port: PORT.tcp }), TAG.tb, 'new TCP connection');
    },
  },
  {
    name: 'cluster spec changed (TCP port): the cluster is replaced make-before-break with its endpoints',
    edit: (d) => void (targetOf(d, 'tcp-a').port = PORT.tcpAMoved),
    calls: [
      ['replace-create', 'clusters'],
      ['create', 'endpoints'],
      ...ROUTE_SWAP,
      ['replace-delete', 'clusters'],
    ],
    planDetail: ({ calls }) => {
      assertPairedReplacements(calls);
      assertRuleSwap(calls, RULELIST.tcp);
      assert.equal(calls[1]!.name, `${calls[0]!.name}.E.127.0.0.1`, 'the endpoint of the new cluster');
    },
    newSessions: async () => {
      assertOnly(await probeTcp({ port: PORT.tcp }), TAG.t1Moved, 'new TCP connection');
    },
  },
  {
    name: 'cluster spec changed (UDP `bind` added): cluster replaced under both UDP routes, both live sessions survive',
    edit: (d) => void (targetOf(d, 'udp-a').bind = { address: '127.0.0.1' }),
    calls: [
      ['replace-create', 'clusters'],
      ['create', 'endpoints'],
      ['create', 'endpoints'],
      ['replace-create', 'routes'],
      ['replace-create', 'routes'],
      ['replace-create', 'rules'],
      ['replace-create', 'rules'],
      // (across rulelists, the order of these four is free: see `comparable`)
      ['insert-rule', 'rules'],
      ['insert-rule', 'rules'],
      ['remove-rule', 'rules'],
      ['remove-rule', 'rules'],
      ['replace-delete', 'rules'],
      ['replace-delete', 'rules'],
      ['replace-delete', 'routes'],
      ['replace-delete', 'routes'],
      ['replace-delete', 'clusters'],
    ],
    planDetail: ({ calls, changed }) => {
      assertPairedReplacements(calls);
      assertRuleSwap(calls, RULELIST.udpServer);
      assertRuleSwap(calls, RULELIST.udpSingle);
      const cluster = changed.graphs[0]!.clusters.find((c) => c.name === calls[0]!.name)!;
      assert.deepEqual(cluster.spec.bind, { address: '127.0.0.1' });
    },
    newSessions: async () => {
      assertOnly(await probeUdp({ port: PORT.udpServer }), TAG.a1, 'new UDP session through the new cluster');
    },
  },
  {
    name: 'load balancer changed (Trivial → ConsistentHash on the source port): cluster replaced under both UDP routes',
    edit: (d) =>
      void (targetOf(d, 'udp-a').loadbalancer = { policy: 'ConsistentHash', key: '/UDP/src_port' }),
    calls: [
      ['replace-create', 'clusters'],
      ['create', 'endpoints'],
      ['create', 'endpoints'],
      ['replace-create', 'routes'],
      ['replace-create', 'routes'],
      ['replace-create', 'rules'],
      ['replace-create', 'rules'],
      // (across rulelists, the order of these four is free: see `comparable`)
      ['insert-rule', 'rules'],
      ['insert-rule', 'rules'],
      ['remove-rule', 'rules'],
      ['remove-rule', 'rules'],
      ['replace-delete', 'rules'],
      ['replace-delete', 'rules'],
      ['replace-delete', 'routes'],
      ['replace-delete', 'routes'],
      ['replace-delete', 'clusters'],
    ],
    planDetail: ({ calls }) => {
      assertPairedReplacements(calls);
      assertRuleSwap(calls, RULELIST.udpServer);
      assertRuleSwap(calls, RULELIST.udpSingle);
      assert.deepEqual(
        named(calls, 'create', 'endpoints').map((c) => c.name),
        ['127.0.0.1', '127.0.0.2'].map((a) => `${calls[0]!.name}.E.${a}`),
      );
    },
    newSessions: async () => {
      // New sessions from different source ports spread over both endpoints (each sticks to one).
      const seen = new Set<string>();
      for (const localPort of PORT.hashClients) {
        const t = await probeUdp({ port: PORT.udpServer, localPort, replies: 2 });
        assert.equal(Object.keys(t.byTag).length, 1, `one backend per session: ${JSON.stringify(t.byTag)}`);
        seen.add(Object.keys(t.byTag)[0]!);
      }
      assert.deepEqual([...seen].sort(), [TAG.a1, TAG.a2], 'the hash ring uses both endpoints');
    },
  },
  {
    name: 'listener port changed (UDP server mode): listener replaced, its live session survives',
    edit: (d) => void (serviceOf(d, 'udp-server').listener.port = PORT.udpServerMoved),
    calls: [
      ['replace-create', 'listeners'],
      ['replace-delete', 'listeners'],
    ],
    planDetail: ({ calls, base }) => {
      assertPairedReplacements(calls);
      assert.equal(calls[1]!.name, listenerOf(base, RULELIST.udpServer).name);
    },
    newSessions: async () => {
      assertOnly(await probeUdp({ port: PORT.udpServerMoved }), TAG.a1, 'new session on the new port');
      const old = await udpSilent(PORT.udpServer);
      assert.equal(old.total, 0, `no new session on the old port: ${JSON.stringify(old.byTag)}`);
    },
  },
  {
    name: 'listener port changed (UDP singleton): listener replaced, its session ends as the plan predicted',
    edit: (d) => void (serviceOf(d, 'udp-single').listener.port = PORT.udpSingleMoved),
    calls: [
      ['replace-create', 'listeners'],
      ['replace-delete', 'listeners'],
    ],
    cuts: 'udpSingle',
    planDetail: ({ calls, base }) => {
      assertPairedReplacements(calls);
      assert.equal(calls[1]!.name, listenerOf(base, RULELIST.udpSingle).name);
    },
    newSessions: async ({ live }) => {
      await live.udpSingle.close(); // frees the peer port for the new listener's client
      assertOnly(
        await probeUdp({ port: PORT.udpSingleMoved, localPort: PORT.singleClient }),
        TAG.a1,
        'the peer reaches the new listener',
      );
    },
  },
  {
    name: 'listener port changed (TCP): listener replaced, the live connection survives',
    edit: (d) => void (serviceOf(d, 'tcp-in').listener.port = PORT.tcpMoved),
    calls: [
      ['replace-create', 'listeners'],
      ['replace-delete', 'listeners'],
    ],
    planDetail: ({ calls, base }) => {
      assertPairedReplacements(calls);
      assert.equal(calls[1]!.name, listenerOf(base, RULELIST.tcp).name);
    },
    newSessions: async () => {
      assertOnly(await probeTcp({ port: PORT.tcpMoved }), TAG.t1, 'new connection on the new port');
      assert.equal(await tcpRefused(PORT.tcp), true, 'the old port is closed');
    },
  },
  {
    name: 'VirtualService removed from the repo (TCP): everything it made deleted top-down, the live connection survives',
    edit: (d) => void (d.services = d.services.filter((s) => s.name !== 'tcp-in')),
    calls: [
      ['delete', 'listeners'],
      ['delete', 'rulelists'],
      ['delete', 'rules'],
      ['delete', 'routes'],
      ['delete', 'clusters'],
    ],
    planDetail: ({ calls, base }) => {
      assert.equal(calls[0]!.name, listenerOf(base, RULELIST.tcp).name);
      assert.equal(calls[1]!.name, RULELIST.tcp);
      assert.match(calls[4]!.name, /^l7c\.C\.default\.tcp-a\./);
    },
    newSessions: async () => {
      assert.equal(await tcpRefused(PORT.tcp), true, 'new connections are refused');
    },
  },
  {
    name: 'VirtualService removed from the repo (UDP singleton): its session ends as the plan predicted',
    edit: (d) => void (d.services = d.services.filter((s) => s.name !== 'udp-single')),
    calls: [
      ['delete', 'listeners'],
      ['delete', 'rulelists'],
      ['delete', 'rules'],
      ['delete', 'routes'],
    ],
    cuts: 'udpSingle',
    planDetail: ({ calls, base }) => {
      assert.equal(calls[0]!.name, listenerOf(base, RULELIST.udpSingle).name);
      assert.equal(calls[1]!.name, RULELIST.udpSingle);
    },
    newSessions: async ({ live }) => {
      await live.udpSingle.close();
      const t = await udpSilent(PORT.udpSingle, { localPort: PORT.singleClient });
      assert.equal(t.total, 0, `nothing answers on the removed listener: ${JSON.stringify(t.byTag)}`);
      assertOnly(await probeUdp({ port: PORT.udpServer }), TAG.a1, 'the other UDP listener still works');
    },
  },
];

/** The tag each live session answers with in the base state. */
const LIVE_TAG: Record<Live, string> = { udpServer: TAG.a1, udpSingle: TAG.a1, tcp: TAG.t1 };

async function openLive(): Promise<Record<Live, LiveClient>> {
  const opened: LiveClient[] = [];
  try {
    const udpServer = await openLiveUdp({ port: PORT.udpServer });
    opened.push(udpServer);
    const udpSingle = await openLiveUdp({ port: PORT.udpSingle, localPort: PORT.singleClient });
    opened.push(udpSingle);
    const tcp = await openLiveTcp({ port: PORT.tcp });
    opened.push(tcp);
    return { udpServer, udpSingle, tcp };
  } catch (e) {
    await Promise.all(opened.map((c) => c.close()));
    throw e;
  }
}

async function runCase(c: ChangeCase): Promise<void> {
  const { emb, base } = await startBase();
  let live: Record<Live, LiveClient> | undefined;
  try {
    await withLogs(emb, async () => {
      // Live traffic through every listener, each on its base backend.
      live = await openLive();
      for (const [k, client] of Object.entries(live) as [Live, LiveClient][])
        assertOnly(
          await client.waitFor(5, { mark: 0, timeoutMs: TRAFFIC_TIMEOUT }),
          LIVE_TAG[k],
          `before: ${client.what}`,
        );

      // The change: plan it and check the plan before applying it.
      const d = structuredClone(BASE);
      c.edit(d);
      const changed = await compileDesc(d);
      const { proxyPlan } = await planOf(changed);
      const calls = proxyPlan.calls;
      assert.deepEqual(
        comparable(calls.map((x) => [x.action, x.kind] as const)),
        comparable(c.calls),
        `planned calls:\n${showCalls(calls)}`,
      );
      const ctx: CaseCtx = { base, changed, calls, live: live! };
      c.planDetail?.(ctx);
      const cutListener = c.cuts ? listenerOf(base, RULELIST.udpSingle).name : undefined;
      for (const x of calls) {
        const deletesIt = x.kind === 'listeners' && x.name === cutListener && /delete/.test(x.action);
        assert.equal(
          x.sessionsCut,
          deletesIt ? 1 : 0,
          `${x.action} ${x.kind} ${x.name}: sessions it ends\n${showCalls(calls)}`,
        );
      }

      // Apply exactly that plan (the proxy has not changed since): converges and stays converged.
      const applied = await planAndApply(changed);
      assert.deepEqual(
        applied.calls.map((x) => [x.action, x.kind, x.name]),
        calls.map((x) => [x.action, x.kind, x.name]),
      );
      await assertStable(changed);

      // The live sessions: carrying on, on the backend they had, unless their listener went.
      for (const [k, client] of Object.entries(live!) as [Live, LiveClient][]) {
        if (k === c.cuts) {
          await sleep(500); // replies already in flight
          const m = client.mark();
          await sleep(2000);
          const t = client.since(m);
          assert.equal(
            t.total,
            0,
            `${client.what}: its listener was deleted, so it ended: ${JSON.stringify(t.byTag)}`,
          );
          continue;
        }
        const m = client.mark();
        assertOnly(
          await client.waitFor(10, { mark: m, timeoutMs: TRAFFIC_TIMEOUT }),
          LIVE_TAG[k],
          `after: ${client.what} survives, on its backend`,
        );
        assert.equal(client.ended(), false, `${client.what} still open`);
      }

      // New sessions follow the new configuration.
      await c.newSessions(ctx);
    });
  } finally {
    if (live) await Promise.all(Object.values(live).map((x) => x.close()));
    await stopProxy(emb);
  }
}

describe('each kind of change, applied to a real l7mp proxy under live traffic', { concurrency: 1 }, () => {
  it(
    'base: converges from empty, every listener carries traffic, the next plan is empty',
    { timeout: TEST_TIMEOUT },
    async () => {
      const { emb, base } = await startBase();
      try {
        await withLogs(emb, async () => {
          await assertStable(base);
          assertOnly(await probeUdp({ port: PORT.udpServer }), TAG.a1, 'UDP server mode');
          assertOnly(
            await probeUdp({ port: PORT.udpServer, localPort: PORT.specialClient }),
            TAG.b,
            'Rule `special`',
          );
          assertOnly(
            await probeUdp({ port: PORT.udpSingle, localPort: PORT.singleClient }),
            TAG.a1,
            'UDP singleton',
          );
          assertOnly(await probeTcp({ port: PORT.tcp }), TAG.t1, 'TCP');
          // The singleton's session is live: still nothing to do (it is no zombie).
          await assertStable(base);
        });
      } finally {
        await stopProxy(emb);
      }
    },
  );

  for (const c of CASES) it(c.name, { timeout: TEST_TIMEOUT }, () => runCase(c));
});
