// Derivation is pure: the compiled offload example and a set of interfaces give exactly the four
// entries of its two calls; every way a path can fail to be fully specified gives its reason code;
// too many entries is an error with no partial set.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { deriveOffload } from '../offload/derive.ts';
import type { Iface, NotOffloadedCode } from '../offload/model.ts';
import type { ProxyGraph } from '../compiler/model/graph.ts';
import { compileGraph } from './support/netns-offload.ts';

const IFACES: Iface[] = [
  { name: 'lo', ifindex: 1, addresses: ['127.0.0.1/8'] },
  { name: 'p1', ifindex: 2, addresses: ['10.200.1.1/24'] },
  { name: 'p2', ifindex: 3, addresses: ['10.200.2.1/24'] },
];

let graph: ProxyGraph;
before(async () => {
  graph = await compileGraph();
});

type Mutable = { -readonly [K in keyof ProxyGraph]: any };
function mutate(fn: (g: Mutable) => void): ProxyGraph {
  const g = structuredClone(graph) as Mutable;
  fn(g);
  return g as ProxyGraph;
}
const callA = (g: Mutable) => g.listeners.find((l: any) => l.spec.port === 5000);
const ruleOf = (g: Mutable, l: any) =>
  g.rules.find((r: any) => r.name === g.rulelists.find((x: any) => x.name === l.rules).rules[0]);
const routeOf = (g: Mutable, l: any) => g.routes.find((r: any) => r.name === ruleOf(g, l).action.route);
const clusterOf = (g: Mutable, l: any) => g.clusters.find((c: any) => c.name === routeOf(g, l).destination);

test('the example: one forward and one reverse entry per call, and the server-mode listener with its reason', () => {
  const r = deriveOffload(graph, IFACES);
  assert.equal(r.error, undefined);
  const a = r.entries.filter((e) => e.match.src.port === 4000 || e.match.src.port === 7000);
  assert.deepEqual(
    a.map(({ direction, match, rewrite, in: i, out, object }) => ({
      direction,
      match,
      rewrite,
      in: i.name,
      out: out.name,
      object,
    })),
    [
      {
        direction: 'forward',
        match: { src: { address: '10.200.1.2', port: 4000 }, dst: { address: '10.200.1.1', port: 5000 } },
        rewrite: { src: { address: '10.200.2.1', port: 6000 }, dst: { address: '10.200.2.2', port: 7000 } },
        in: 'p1',
        out: 'p2',
        object: 'VirtualService/call-a',
      },
      {
        direction: 'reverse',
        match: { src: { address: '10.200.2.2', port: 7000 }, dst: { address: '10.200.2.1', port: 6000 } },
        rewrite: { src: { address: '10.200.1.1', port: 5000 }, dst: { address: '10.200.1.2', port: 4000 } },
        in: 'p2',
        out: 'p1',
        object: 'VirtualService/call-a',
      },
    ],
  );
  assert.equal(r.entries.length, 4);
  assert.deepEqual(
    r.notOffloaded.map((n) => [n.object, n.code]),
    [['VirtualService/signalling', 'server-mode']],
  );
  assert.deepEqual(deriveOffload(graph, IFACES), r, 'deterministic');
});

const CASES: [string, NotOffloadedCode, (g: Mutable) => void][] = [
  ['a TCP listener', 'not-udp', (g) => (callA(g).spec = { protocol: 'TCP', port: 5000 })],
  ['options.mode server', 'server-mode', (g) => (callA(g).spec.options = { mode: 'server' })],
  ['no connect port', 'server-mode', (g) => delete callA(g).spec.connect.port],
  ['no listener address', 'no-listener-address', (g) => delete callA(g).spec.address],
  ['listener address on no interface', 'address-not-local', (g) => (callA(g).spec.address = '10.9.9.9')],
  ['an IPv6 client', 'not-ipv4', (g) => (callA(g).spec.connect.address = 'fd00::2')],
  ['a client in no subnet', 'no-interface', (g) => (callA(g).spec.connect.address = '10.99.0.1')],
  ['a client on this host', 'local-peer', (g) => (callA(g).spec.connect.address = '10.200.2.1')],
  [
    'two rules',
    'rulelist',
    (g) => g.rulelists.find((x: any) => x.name === callA(g).rules).rules.push(ruleOf(g, callA(g)).name),
  ],
  ['a match', 'match', (g) => (ruleOf(g, callA(g)).match = { op: 'test', path: '/IP/src_addr', value: 'x' })],
  ['a rewrite', 'rewrite', (g) => (ruleOf(g, callA(g)).action.rewrite = [{ path: '/labels/x', value: 1 }])],
  ['an apply rule', 'not-a-route', (g) => (ruleOf(g, callA(g)).action = { apply: 'other' })],
  ['an ingress chain', 'chain', (g) => (routeOf(g, callA(g)).ingress = ['logger'])],
  ['an egress chain', 'chain', (g) => (routeOf(g, callA(g)).egress = ['logger'])],
  ['a TCP cluster', 'cluster-not-udp', (g) => (clusterOf(g, callA(g)).spec.protocol = 'TCP')],
  ['no bind', 'no-fixed-bind', (g) => delete clusterOf(g, callA(g)).spec.bind],
  ['a bind without port', 'no-fixed-bind', (g) => delete clusterOf(g, callA(g)).spec.bind.port],
  [
    'bind address on no interface',
    'address-not-local',
    (g) => (clusterOf(g, callA(g)).spec.bind.address = '10.7.7.7'),
  ],
  [
    'two endpoints',
    'endpoints',
    (g) => {
      const c = clusterOf(g, callA(g));
      g.endpoints.push({ name: 'e2', cluster: c.name, spec: { address: '10.200.2.3' } });
    },
  ],
  [
    'no endpoint',
    'endpoints',
    (g) => (g.endpoints = g.endpoints.filter((e: any) => e.cluster !== clusterOf(g, callA(g)).name)),
  ],
  [
    'an endpoint in no subnet',
    'no-interface',
    (g) =>
      (g.endpoints.find((e: any) => e.cluster === clusterOf(g, callA(g)).name).spec.address = '192.0.2.1'),
  ],
  ['a missing cluster', 'missing-object', (g) => (routeOf(g, callA(g)).destination = 'gone')],
];

for (const [what, code, fn] of CASES)
  test(`not offloaded: ${what} → ${code}; the other call still is`, () => {
    const r = deriveOffload(mutate(fn), IFACES);
    const a = r.notOffloaded.find((n) => n.object === 'VirtualService/call-a');
    assert.equal(a?.code, code, JSON.stringify(r.notOffloaded));
    assert.ok(a.reason.length > 0);
    assert.ok(a.routes.length <= 2);
    assert.deepEqual(
      r.entries.map((e) => e.object),
      ['VirtualService/call-b', 'VirtualService/call-b'],
    );
  });

test('two paths claiming one reply 5-tuple: neither is offloaded', () => {
  // call-b sends from call-a's bind address and port to the same server port.
  const g = mutate((m) => {
    const b = m.listeners.find((l: any) => l.spec.port === 5001);
    clusterOf(m, b).spec.bind.port = 6000;
    clusterOf(m, b).spec.port = 7000;
  });
  const r = deriveOffload(g, IFACES);
  assert.deepEqual(r.entries, []);
  assert.deepEqual(
    r.notOffloaded.map((n) => n.code),
    ['server-mode', 'conflict', 'conflict'],
  );
});

test('a route no listener uses is reported', () => {
  const r = deriveOffload(
    mutate((g) =>
      g.routes.push({ name: 'orphan', destination: g.clusters[0].name, ingress: [], egress: [] }),
    ),
    IFACES,
  );
  assert.deepEqual(r.notOffloaded.at(-1), {
    routes: ['orphan'],
    code: 'unused-route',
    reason: 'no listener uses this route',
  });
});

test('the longest prefix picks the output interface', () => {
  const r = deriveOffload(graph, [...IFACES, { name: 'wide', ifindex: 9, addresses: ['10.200.0.1/16'] }]);
  assert.deepEqual([...new Set(r.entries.map((e) => e.out.name))].sort(), ['p1', 'p2']);
});

test('more entries than the map holds: an error and no entries at all', () => {
  const r = deriveOffload(graph, IFACES, { maxEntries: 3 });
  assert.deepEqual(r.entries, []);
  assert.equal(r.error?.code, 'capacity');
  assert.equal(r.error?.needed, 4);
  assert.equal(r.error?.capacity, 3);
  assert.match(r.error!.message, /do not fit/);
  assert.equal(deriveOffload(graph, IFACES, { maxEntries: 4 }).entries.length, 4);
});
