// observe() against real proxies: objects are built through the client exactly as apply would
// (all named, bottom-up), then read back through the per-kind collections and normalised; what
// comes back must equal what was posted. Also: endpoints land in their clusters, the controller's
// objects are theirs, data sessions are kept and API sessions dropped, a UDP singleton listener
// whose session is deleted becomes a zombie, the fingerprint is stable and changes on any change,
// and a strict-mode proxy with a chained live session (where the session list fails) still observes.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalProxy, type LocalProxy } from '../runtime/local-proxy.ts';
import { controllerListener } from '../compiler/stages/emit.ts';
import { canonical, sortKeys } from '../compiler/lowering/canonical.ts';
import { ProxyClient, encodeName } from '../runtime/proxy/client.ts';
import { observe } from '../runtime/proxy/observe.ts';
import {
  fingerprintOf,
  normaliseLive,
  normaliseObjects,
  LOCK_NAME,
  type RawLive,
} from '../runtime/proxy/normalise.ts';
import { acquireLock } from '../runtime/proxy/lock.ts';
import type { LiveObjects, LiveState } from '../runtime/reconcile/types.ts';
import type { Call } from '../runtime/reconcile/types.ts';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Ports of one proxy's world: admin, UDP singleton listener, its peer, UDP backend, TCP listener, TCP backend. */
interface Ports {
  readonly admin: number;
  readonly udpIn: number;
  readonly udpPeer: number;
  readonly udpBackend: number;
  readonly tcpIn: number;
  readonly tcpBackend: number;
}
const PLAIN: Ports = {
  admin: 18120,
  udpIn: 18121,
  udpPeer: 18122,
  udpBackend: 18123,
  tcpIn: 18124,
  tcpBackend: 18125,
};
const STRICT: Ports = {
  admin: 18140,
  udpIn: 18141,
  udpPeer: 18142,
  udpBackend: 18143,
  tcpIn: 18144,
  tcpBackend: 18145,
};

/** What apply would post, and the normalised objects it must read back as. */
function world(p: Ports): { calls: Call[]; expected: LiveObjects } {
  const udpSpec = { protocol: 'UDP', port: p.udpBackend };
  const clusters = [
    { name: 'l7c.C.udp', spec: udpSpec, loadbalancer: { policy: 'ConsistentHash', key: '/UDP/src_port' } },
    {
      name: 'l7c.C.tcp',
      spec: { protocol: 'TCP', port: p.tcpBackend },
      loadbalancer: { policy: 'ConsistentHash' },
    },
    { name: 'l7c.C.echo', spec: { protocol: 'Echo' } },
    { name: 'l7c.C.metric', spec: { protocol: 'Metric' } },
    { name: 'l7c.C.log', spec: { protocol: 'Logger' } },
    { name: 'l7c.C.log2', spec: { protocol: 'Logger', log_prefix: 'x', log_file: '-' } },
    { name: 'l7c.C.sync', spec: { protocol: 'Sync', query: '/IP/src_addr' } },
    {
      name: 'l7c.C.js',
      spec: {
        protocol: 'JSONSocket',
        transport: { protocol: 'UDP', port: p.udpBackend },
        header: [{ set: { key: '/x', value: 'y' } }],
      },
    },
  ];
  const endpoints = [
    { name: 'l7c.C.udp.E.127.0.0.1', cluster: 'l7c.C.udp', spec: { address: '127.0.0.1' } },
    { name: 'l7c.C.udp.E.127.0.0.2.w3', cluster: 'l7c.C.udp', spec: { address: '127.0.0.2' }, weight: 3 },
    { name: 'l7c.C.tcp.E.127.0.0.1', cluster: 'l7c.C.tcp', spec: { address: '127.0.0.1' } },
    { name: 'l7c.C.js.E.127.0.0.1', cluster: 'l7c.C.js', spec: { address: '127.0.0.1' } },
  ];
  const routes = [
    { name: 'l7c.RT.udp', destination: 'l7c.C.udp', ingress: [], egress: [] },
    {
      name: 'l7c.RT.tcp',
      destination: 'l7c.C.tcp',
      ingress: ['l7c.C.metric'],
      egress: ['l7c.C.metric', 'l7c.C.log'],
      retry: { retry_on: 'always', num_retries: 3, timeout: 500 },
    },
    {
      name: 'l7c.RT.partial',
      destination: 'l7c.C.echo',
      ingress: [],
      egress: [],
      retry: { retry_on: 'disconnect' },
    },
  ];
  const rules = [
    { name: 'l7c.R.udp', action: { route: 'l7c.RT.udp' } },
    {
      name: 'l7c.R.tcp',
      match: { op: 'test', path: '/TCP/dst_port', value: p.tcpIn },
      action: { route: 'l7c.RT.tcp', rewrite: [{ path: '/labels/session_id', value: 'call-1' }] },
    },
    { name: 'l7c.R.apply', action: { apply: 'l7c.RL.udp' } },
  ];
  const rulelists = [
    { name: 'l7c.RL.udp', rules: ['l7c.R.udp'] },
    // not in name order: the order of a rulelist is its match order and must survive
    { name: 'l7c.RL.tcp', rules: ['l7c.R.tcp', 'l7c.R.partial-missing', 'l7c.R.apply'] },
  ];
  const listeners = [
    {
      name: 'l7c.L.udp',
      spec: {
        protocol: 'UDP',
        port: p.udpIn,
        address: '127.0.0.1',
        connect: { address: '127.0.0.1', port: p.udpPeer },
      },
      rules: 'l7c.RL.udp',
    },
    {
      name: 'l7c.L.tcp',
      spec: { protocol: 'TCP', port: p.tcpIn },
      rules: 'l7c.RL.tcp',
      options: { track: 5 },
    },
  ];
  const post = (kind: string, path: string, o: object): Call => ({
    method: 'POST',
    path,
    body: { [kind]: o },
  });
  const calls: Call[] = [
    ...clusters.map((c) => post('cluster', '/api/v1/clusters', c)),
    ...endpoints.map(({ cluster, ...e }) =>
      post('endpoint', `/api/v1/clusters/${encodeName(cluster)}/endpoints`, e),
    ),
    ...routes.map((r) => post('route', '/api/v1/routes', r)),
    ...rules.map((r) => post('rule', '/api/v1/rules', r)),
    ...rulelists.map((r) => post('rulelist', '/api/v1/rulelists', r)),
    ...listeners.map((l) => post('listener', '/api/v1/listeners', l)),
  ];
  const sorted = <T extends { name: string }>(a: T[]) =>
    sortKeys([...a].sort((x, y) => (x.name < y.name ? -1 : 1)));
  const expected = {
    listeners: sorted(listeners),
    rulelists: sorted(rulelists),
    rules: sorted(rules),
    routes: sorted(routes),
    // the Logger's explicit default `log_file: '-'` reads back as absent, like one never written
    clusters: sorted(
      clusters.map((c) =>
        c.name === 'l7c.C.log2' ? { ...c, spec: { protocol: 'Logger', log_prefix: 'x' } } : c,
      ),
    ),
    endpoints: sorted(endpoints),
  } as unknown as LiveObjects;
  return { calls, expected };
}

interface Env {
  proxy: LocalProxy;
  client: ProxyClient;
  dir: string;
  udpBackend: ReturnType<typeof import('node:dgram').createSocket>;
  tcpBackend: Server;
  sockets: Socket[];
}

async function startEnv(p: Ports, strict: boolean): Promise<Env> {
  const dir = await mkdtemp(join(tmpdir(), 'l7c-observe-'));
  const cfg = join(dir, 'proxy.json');
  await writeFile(
    cfg,
    JSON.stringify({ admin: { log_level: 'warn' }, listeners: [controllerListener(p.admin)] }),
  );
  const { createSocket } = await import('node:dgram');
  const udpBackend = createSocket('udp4');
  udpBackend.on('message', (m, r) => udpBackend.send(m, r.port, r.address));
  await new Promise<void>((r) => udpBackend.bind(p.udpBackend, '127.0.0.1', () => r()));
  const sockets: Socket[] = [];
  const tcpBackend = createServer((s) => {
    sockets.push(s);
    s.on('error', () => {});
    s.pipe(s);
  });
  await new Promise<void>((r) => tcpBackend.listen(p.tcpBackend, '127.0.0.1', () => r()));
  const proxy = await startLocalProxy({ configPath: cfg, strict });
  return {
    proxy,
    client: new ProxyClient({ adminUrl: proxy.adminUrl }),
    dir,
    udpBackend,
    tcpBackend,
    sockets,
  };
}

async function stopEnv(env: Env | undefined): Promise<void> {
  if (!env) return;
  env.client.close();
  await env.proxy.stop();
  for (const s of env.sockets) s.destroy();
  await new Promise<void>((r) => env.tcpBackend.close(() => r()));
  await new Promise<void>((r) => env.udpBackend.close(() => r()));
  await rm(env.dir, { recursive: true, force: true });
}

/** A TCP client through the proxy's TCP listener; resolves once a round trip went through. */
async function tcpThrough(port: number, sockets: Socket[]): Promise<Socket> {
  const s = createConnection({ port, host: '127.0.0.1' });
  sockets.push(s);
  s.on('error', () => {});
  await new Promise<void>((res, rej) => {
    const t = setTimeout(() => rej(new Error('no TCP echo through the proxy')), 5000);
    s.once('data', () => {
      clearTimeout(t);
      res();
    });
    s.write('hello');
  });
  return s;
}

async function until(f: () => Promise<boolean>, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await f())) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

const obs = (env: Env, onWarning?: (m: string) => void) =>
  observe(env.client, { proxy: 'p', adminUrl: env.proxy.adminUrl, ...(onWarning ? { onWarning } : {}) });

describe('observe (non-strict proxy)', () => {
  let env: Env;
  const { calls, expected } = world(PLAIN);
  before(async () => {
    env = await startEnv(PLAIN, false);
    for (const c of calls) await env.client.send(c);
  });
  after(() => stopEnv(env));

  it('reads back exactly what was posted (round trip through normalisation)', async () => {
    const live = await obs(env);
    for (const kind of Object.keys(expected) as (keyof LiveObjects)[])
      assert.deepEqual(live.ours[kind], expected[kind], `${kind} round trip`);
    assert.equal(canonical(live.ours), canonical(expected));
  });

  it('maps endpoints to their clusters; the controller objects are theirs', async () => {
    const live = await obs(env);
    const ep = (cluster: string) =>
      live.ours.endpoints.filter((e) => e.cluster === cluster).map((e) => e.name);
    assert.deepEqual(ep('l7c.C.udp'), ['l7c.C.udp.E.127.0.0.1', 'l7c.C.udp.E.127.0.0.2.w3']);
    assert.deepEqual(ep('l7c.C.tcp'), ['l7c.C.tcp.E.127.0.0.1']);
    assert.deepEqual(ep('l7c.C.echo'), [], 'no <VIRTUAL> pseudo-endpoint');
    assert.deepEqual(
      live.theirs.map((t) => `${t.kind}/${t.name}`),
      [
        'clusters/l7mp-controller',
        'listeners/controller-listener',
        'routes/controller-listener-RuleList-0-Rule-0-Route-0',
        'rulelists/controller-listener-RuleList-0',
        'rules/controller-listener-RuleList-0-Rule-0',
      ],
    );
  });

  it('keeps data sessions, drops the REST API sessions', async () => {
    await tcpThrough(PLAIN.tcpIn, env.sockets);
    const live = await obs(env);
    assert.ok(!live.sessions.some((s) => s.listener === 'controller-listener'), 'no API session');
    const udp = live.sessions.filter((s) => s.listener === 'l7c.L.udp');
    assert.equal(udp.length, 1, 'the UDP singleton session');
    assert.deepEqual(udp[0]!.clusters, ['l7c.C.udp']);
    const tcp = live.sessions.filter((s) => s.listener === 'l7c.L.tcp');
    assert.equal(tcp.length, 1);
    assert.deepEqual(
      tcp[0]!.clusters,
      ['l7c.C.tcp'],
      'the chain stages serialise as null: only the destination',
    );
    assert.equal(tcp[0]!.status, 'CONNECTED');
    assert.deepEqual(live.zombies, []);
  });

  it('the fingerprint is stable across observations and while traffic and API calls come and go', async () => {
    const a = await obs(env);
    await tcpThrough(PLAIN.tcpIn, env.sockets);
    const b = await obs(env);
    assert.equal(a.fingerprint, b.fingerprint);
    assert.match(a.fingerprint, /^sha256:[0-9a-f]{64}$/);
  });

  it('the fingerprint changes on any change, and returns when the change is undone', async () => {
    const base = (await obs(env)).fingerprint;
    const changes: [string, Call[], Call[]][] = [
      [
        'endpoint added',
        [
          {
            method: 'POST',
            path: '/api/v1/clusters/l7c.C.tcp/endpoints',
            body: { endpoint: { name: 'l7c.C.tcp.E.127.0.0.9', spec: { address: '127.0.0.9' } } },
          },
        ],
        [{ method: 'DELETE', path: '/api/v1/endpoints/l7c.C.tcp.E.127.0.0.9' }],
      ],
      [
        'rule inserted into a rulelist',
        [{ method: 'POST', path: '/api/v1/rulelists/l7c.RL.udp/rules/0', body: { rule: 'l7c.R.apply' } }],
        [{ method: 'DELETE', path: '/api/v1/rulelists/l7c.RL.udp/rules/0' }],
      ],
      [
        'route deleted',
        [{ method: 'DELETE', path: '/api/v1/routes/l7c.RT.partial' }],
        [
          {
            method: 'POST',
            path: '/api/v1/routes',
            body: {
              route: { name: 'l7c.RT.partial', destination: 'l7c.C.echo', retry: { retry_on: 'disconnect' } },
            },
          },
        ],
      ],
      [
        'someone else’s cluster added',
        [
          {
            method: 'POST',
            path: '/api/v1/clusters',
            body: { cluster: { name: 'by-hand', spec: { protocol: 'Echo' } } },
          },
        ],
        [{ method: 'DELETE', path: '/api/v1/clusters/by-hand' }],
      ],
    ];
    for (const [what, doIt, undo] of changes) {
      for (const c of doIt) await env.client.send(c);
      const changed = (await obs(env)).fingerprint;
      assert.notEqual(changed, base, what);
      for (const c of undo) await env.client.send(c);
      assert.equal((await obs(env)).fingerprint, base, `${what}, undone`);
    }
  });

  it('the apply lock is neither ours nor theirs and does not change the fingerprint', async () => {
    const before = await obs(env);
    const lock = await acquireLock(env.client, { holder: 'test', ttlMs: 60_000 });
    assert.ok('release' in lock);
    const during = await obs(env);
    assert.ok(!during.ours.rulelists.some((r) => r.name === LOCK_NAME));
    assert.ok(!during.theirs.some((t) => t.name === LOCK_NAME));
    assert.equal(during.fingerprint, before.fingerprint);
    assert.equal(await lock.release(), true);
  });

  it('a UDP singleton listener whose session is deleted becomes a zombie (and the fingerprint changes)', async () => {
    const before = await obs(env);
    assert.deepEqual(before.zombies, []);
    const s = before.sessions.find((x) => x.listener === 'l7c.L.udp')!;
    assert.match(s.name, /^UDP:127\.0\.0\.1:18122-127\.0\.0\.1:18121-\d+$/);
    await env.client.send({ method: 'DELETE', path: `/api/v1/sessions/${encodeName(s.name)}` });
    let after: LiveState | undefined;
    await until(async () => (after = await obs(env)).zombies.length > 0, 'the zombie');
    assert.deepEqual(after!.zombies, ['l7c.L.udp']);
    assert.notEqual(after!.fingerprint, before.fingerprint);
    assert.equal(canonical(after!.ours), canonical(before.ours), 'the objects themselves are unchanged');
    // repair (facts §4.1): delete and re-create the listener; the session is back
    const listener = calls.find(
      (c) => c.path === '/api/v1/listeners' && JSON.stringify(c.body).includes('l7c.L.udp'),
    )!;
    await env.client.send({ method: 'DELETE', path: '/api/v1/listeners/l7c.L.udp' });
    await env.client.send(listener);
    await until(async () => (await obs(env)).zombies.length === 0, 'the repaired listener');
    assert.equal((await obs(env)).fingerprint, before.fingerprint);
  });
});

describe('observe (strict proxy, chained live session)', () => {
  let env: Env;
  const { calls, expected } = world(STRICT);
  before(async () => {
    env = await startEnv(STRICT, true);
    // (a rulelist naming a missing rule is accepted in strict mode too: facts §3.3)
    for (const c of calls) await env.client.send(c);
  });
  after(() => stopEnv(env));

  it('round trip holds in strict mode too', async () => {
    const live = await obs(env);
    assert.equal(canonical(live.ours), canonical(expected));
  });

  it('when the session list fails validation, observe still works and says so', async () => {
    await tcpThrough(STRICT.tcpIn, env.sockets); // route l7c.RT.tcp has chains: its session breaks /sessions
    await assert.rejects(
      env.client.get('/api/v1/config'),
      (e: Error & { status?: number }) => e.status === 422,
    );
    const warnings: string[] = [];
    const live = await obs(env, (m) => warnings.push(m));
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /strict mode/);
    assert.deepEqual(live.sessions, []);
    assert.deepEqual(live.zombies, [], 'unknown, so none are claimed');
    assert.equal(canonical(live.ours), canonical(expected));
  });
});

describe('normaliseLive (pure)', () => {
  const raw: RawLive = {
    listeners: [
      {
        name: 'l7c.L.a',
        spec: { protocol: 'UDP', port: 1, connect: { address: '127.0.0.1', port: 2 } },
        rules: 'l7c.RL.a',
        options: { track: 0 },
      },
      {
        name: 'l7c.L.b',
        spec: {
          protocol: 'UDP',
          port: 3,
          options: { mode: 'server' },
          connect: { address: '127.0.0.1', port: 4 },
        },
        rules: 'x',
      },
      {
        name: 'l7c.L.c',
        spec: {
          protocol: 'UDP',
          port: 5,
          options: { mode: 'singleton' },
          connect: { address: '127.0.0.1', port: 6 },
        },
        rules: 'x',
      },
      {
        name: 'controller-listener',
        spec: { protocol: 'HTTP', port: 1234 },
        rules: 'controller-listener-RuleList-0',
        options: { track: 0 },
      },
    ],
    clusters: [
      {
        name: 'l7c.C.b',
        spec: { protocol: 'UDP', port: 9 },
        endpoints: [{ name: 'l7c.C.b.E.2', spec: { address: '10.0.0.2', weight: 5 }, weight: 1 }],
        loadbalancer: { policy: 'HashRing', key: '/IP/src_addr' },
      },
      {
        name: 'l7c.C.a',
        spec: { protocol: 'Echo' },
        endpoints: [{ name: 'l7c.C.a', spec: { address: '<VIRTUAL>' } }],
        loadbalancer: { policy: 'Trivial' },
      },
      {
        name: 'l7mp-controller',
        spec: { protocol: 'L7mpController' },
        endpoints: [{ name: 'l7mp-controller', spec: { address: '<VIRTUAL>' } }],
        loadbalancer: { policy: 'None' },
      },
    ],
    rulelists: [
      { name: 'l7c.RL.a', rules: ['z', 'a'] },
      { name: LOCK_NAME, rules: ['expires=2000-01-01T00:00:00.000Z', 'holder=h', 'token=t'] },
    ],
    rules: [{ name: 'l7c.R.a', match: { match: '*' }, action: { route: 'l7c.RT.a' } }],
    routes: [
      {
        name: 'l7c.RT.a',
        destination: 'l7c.C.b',
        ingress: [],
        egress: [],
        retry: { retry_on: 'never', num_retries: 1, timeout: 2000 },
      },
    ],
    sessions: [
      {
        name: 'HTTP:x-1',
        source: { origin: 'controller-listener' },
        destination: { origin: 'l7mp-controller' },
        ingress: [],
        egress: [],
        status: 'CONNECTED',
      },
      {
        name: 'UDP:c-1',
        source: { origin: 'l7c.L.c' },
        destination: { origin: 'l7c.C.b' },
        ingress: [null],
        egress: [],
        status: 'DESTROYED',
      },
      {
        name: 'TCP:other',
        source: { origin: 'by-hand' },
        destination: { origin: 'l7c.C.b' },
        ingress: [],
        egress: [],
        status: 'CONNECTED',
      },
    ],
  };

  it('undoes the proxy’s additions and renamings, and splits ours from theirs', () => {
    const n = normaliseLive(raw);
    assert.deepEqual(n.ours.listeners[0], {
      name: 'l7c.L.a',
      spec: { connect: { address: '127.0.0.1', port: 2 }, port: 1, protocol: 'UDP' },
      rules: 'l7c.RL.a',
    });
    assert.deepEqual(n.ours.clusters, [
      { name: 'l7c.C.a', spec: { protocol: 'Echo' } },
      {
        name: 'l7c.C.b',
        spec: { port: 9, protocol: 'UDP' },
        loadbalancer: { key: '/IP/src_addr', policy: 'ConsistentHash' },
      },
    ]);
    assert.deepEqual(n.ours.endpoints, [
      { name: 'l7c.C.b.E.2', cluster: 'l7c.C.b', spec: { address: '10.0.0.2' } },
    ]);
    assert.deepEqual(n.ours.rules, [{ name: 'l7c.R.a', action: { route: 'l7c.RT.a' } }]);
    assert.deepEqual(n.ours.routes, [{ name: 'l7c.RT.a', destination: 'l7c.C.b', ingress: [], egress: [] }]);
    assert.deepEqual(n.ours.rulelists, [{ name: 'l7c.RL.a', rules: ['z', 'a'] }]);
    assert.deepEqual(
      n.theirs.map((t) => t.name),
      ['l7mp-controller', 'controller-listener'],
    );
  });

  it('sessions: API sessions dropped, others through our clusters kept; zombies follow the proxy’s singleton rule', () => {
    const n = normaliseLive(raw);
    assert.deepEqual(
      n.sessions.map((s) => s.name),
      ['TCP:other', 'UDP:c-1'],
    );
    // a: singleton by connect, no session; b: forced server mode; c: forced singleton, session DESTROYED (tracked)
    assert.deepEqual(n.zombies, ['l7c.L.a', 'l7c.L.c']);
  });

  it('the fingerprint does not depend on the order the proxy lists things in', () => {
    const rev = (a: readonly unknown[] | undefined) => [...(a ?? [])].reverse();
    const shuffled: RawLive = {
      listeners: rev(raw.listeners),
      clusters: rev(raw.clusters),
      rulelists: rev(raw.rulelists),
      rules: rev(raw.rules),
      routes: rev(raw.routes),
      sessions: rev(raw.sessions),
    };
    assert.equal(fingerprintOf(normaliseLive(shuffled)), fingerprintOf(normaliseLive(raw)));
    const reordered: RawLive = { ...raw, rulelists: [{ name: 'l7c.RL.a', rules: ['a', 'z'] }] };
    assert.notEqual(
      fingerprintOf(normaliseLive(reordered)),
      fingerprintOf(normaliseLive(raw)),
      'rule order matters',
    );
  });

  it('normaliseObjects is idempotent on desired shapes and erases explicit defaults', () => {
    const { expected } = world(PLAIN);
    assert.equal(canonical(normaliseObjects(expected)), canonical(expected));
    const withDefaults: LiveObjects = {
      listeners: [{ name: 'l7c.L.x', spec: { protocol: 'TCP', port: 1 }, rules: 'r', options: { track: 0 } }],
      rulelists: [],
      rules: [],
      routes: [
        {
          name: 'l7c.RT.x',
          destination: 'c',
          ingress: [],
          egress: [],
          retry: { retry_on: 'never', num_retries: 1, timeout: 2000 },
        },
      ],
      clusters: [
        { name: 'l7c.C.x', spec: { protocol: 'Logger', log_file: '-' }, loadbalancer: { policy: 'Trivial' } },
      ],
      endpoints: [{ name: 'l7c.C.x.E.1', cluster: 'l7c.C.x', spec: { address: '10.0.0.1' }, weight: 1 }],
    };
    assert.deepEqual(normaliseObjects(withDefaults), {
      listeners: [{ name: 'l7c.L.x', spec: { port: 1, protocol: 'TCP' }, rules: 'r' }],
      rulelists: [],
      rules: [],
      routes: [{ name: 'l7c.RT.x', destination: 'c', ingress: [], egress: [] }],
      clusters: [{ name: 'l7c.C.x', spec: { protocol: 'Logger' } }],
      endpoints: [{ name: 'l7c.C.x.E.1', cluster: 'l7c.C.x', spec: { address: '10.0.0.1' } }],
    });
  });
});
