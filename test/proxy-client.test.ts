// The REST client against a real l7mp proxy (facts §1): exact Content-Type, error mapping of the
// proxy's real error bodies, URL-encoded names; and against small local servers where the point
// is a misbehaving peer no real proxy produces on demand (a dead port, a server that never answers,
// garbage bodies, concurrency counting, TLS).
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { request as httpRequest, createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type Socket } from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalProxy, type LocalProxy } from '../runtime/local-proxy.ts';
import { controllerListener } from '../compiler/stages/emit.ts';
import {
  ProxyClient,
  ProxyError,
  encodeName,
  interpretResponse,
  isAlreadyDefined,
  type ProxyErrorKind,
} from '../runtime/proxy/client.ts';

const ADMIN_PORT = 18110;
const DEAD_PORT = 18119; // nothing listens here (checked in `before`)

let proxy: LocalProxy;
let dir: string;
let client: ProxyClient;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'l7c-client-'));
  const cfg = join(dir, 'proxy.json');
  await writeFile(
    cfg,
    JSON.stringify({ admin: { log_level: 'warn' }, listeners: [controllerListener(ADMIN_PORT)] }),
  );
  proxy = await startLocalProxy({ configPath: cfg });
  client = new ProxyClient({ adminUrl: proxy.adminUrl });
});

after(async () => {
  client?.close();
  await proxy?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function rejectsWith(p: Promise<unknown>, kind: ProxyErrorKind): Promise<ProxyError> {
  try {
    await p;
  } catch (e) {
    assert.ok(e instanceof ProxyError, `expected a ProxyError, got ${String(e)}`);
    assert.equal(e.kind, kind, `kind of: ${e.message}`);
    assert.ok(!/\n/.test(e.message) && !/\n/.test(e.detail), `one line: ${JSON.stringify(e.message)}`);
    assert.ok(!/\bat .*\.js:\d+/.test(e.detail), `no stack frames: ${e.detail}`);
    return e;
  }
  assert.fail(`expected a ${kind} ProxyError`);
}

/** A raw request, to show what the proxy does with what the client never sends. */
function raw(method: string, path: string, headers: Record<string, string>, body?: string) {
  return new Promise<{ status: number; reason: string; body: string; contentType: string | undefined }>(
    (resolve, reject) => {
      const req = httpRequest(`${proxy.adminUrl}${path}`, { method, headers }, (res) => {
        let b = '';
        res.setEncoding('utf8').on('data', (c: string) => (b += c));
        res.on('end', () =>
          resolve({
            status: res.statusCode!,
            reason: res.statusMessage ?? '',
            body: b,
            contentType: res.headers['content-type'],
          }),
        );
      });
      req.on('error', reject);
      req.end(body);
    },
  );
}

async function listen(server: Server | ReturnType<typeof createTcpServer>): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return (server.address() as { port: number }).port;
}

describe('ProxyClient against a real proxy', () => {
  it('POSTs with exactly application/json and reads the object back', async () => {
    const r = await client.send({
      method: 'POST',
      path: '/api/v1/clusters',
      body: { cluster: { name: 'c-basic', spec: { protocol: 'UDP', port: 18111 } } },
    });
    assert.deepEqual(r, { status: 200, message: 'OK' });
    const c = await client.get<{ name: string; spec: unknown }>(`/api/v1/clusters/${encodeName('c-basic')}`);
    assert.equal(c.name, 'c-basic');
    assert.deepEqual(c.spec, { protocol: 'UDP', port: 18111 });
    await client.send({ method: 'DELETE', path: '/api/v1/clusters/c-basic' });
  });

  it('a charset in the Content-Type is what the proxy rejects (415 as 500), mapped to a clean error', async () => {
    const body = JSON.stringify({ cluster: { name: 'c-charset', spec: { protocol: 'Echo' } } });
    const res = await raw(
      'POST',
      '/api/v1/clusters',
      { 'Content-Type': 'application/json; charset=utf-8' },
      body,
    );
    assert.equal(res.status, 500);
    const r = interpretResponse(res, { method: 'POST', path: '/api/v1/clusters', adminUrl: proxy.adminUrl });
    assert.ok(!r.ok);
    assert.equal(r.error.kind, 'rejected');
    assert.equal(r.error.status, 500);
    assert.match(r.error.detail, /415/);
    // nothing was created
    await rejectsWith(client.get('/api/v1/clusters/c-charset'), 'not-found');
  });

  it('a duplicate name is `rejected` with the proxy message as a clean detail', async () => {
    const call = {
      method: 'POST' as const,
      path: '/api/v1/clusters',
      body: { cluster: { name: 'c-dup', spec: { protocol: 'Echo' } } },
    };
    await client.send(call);
    const e = await rejectsWith(client.send(call), 'rejected');
    assert.equal(e.status, 400);
    assert.equal(e.detail, 'Cannot add cluster: Cluster "c-dup" already defined');
    assert.ok(isAlreadyDefined(e));
    assert.equal(e.attempts, 1, 'a rejected call is never retried');
    await client.send({ method: 'DELETE', path: '/api/v1/clusters/c-dup' });
  });

  it('unknown objects are `not-found` (the proxy says 400)', async () => {
    for (const [method, path] of [
      ['GET', '/api/v1/clusters/nosuch'],
      ['GET', '/api/v1/listeners/nosuch'],
      ['GET', '/api/v1/rulelists/nosuch'],
      ['GET', '/api/v1/rules/nosuch'],
      ['GET', '/api/v1/routes/nosuch'],
      ['GET', '/api/v1/sessions/nosuch'],
      ['GET', '/api/v1/clusters/nosuch/endpoints'],
      ['DELETE', '/api/v1/clusters/nosuch'],
      ['DELETE', '/api/v1/endpoints/nosuch'],
      ['DELETE', '/api/v1/routes/nosuch'],
      ['DELETE', '/api/v1/rules/nosuch'],
      ['DELETE', '/api/v1/rulelists/nosuch'],
      ['DELETE', '/api/v1/listeners/nosuch'],
      ['DELETE', '/api/v1/sessions/nosuch'],
      ['DELETE', '/api/v1/rulelists/nosuch/rules/x'],
    ] as const) {
      const p = method === 'GET' ? client.get(path) : client.send({ method, path });
      const e = await rejectsWith(p, 'not-found');
      assert.equal(e.status, 400, `${method} ${path}`);
    }
    // adding an endpoint to an unknown cluster
    await rejectsWith(
      client.send({
        method: 'POST',
        path: '/api/v1/clusters/nosuch/endpoints',
        body: { endpoint: { name: 'e', spec: { address: '127.0.0.1' } } },
      }),
      'not-found',
    );
  });

  it('a rule missing from an existing rulelist is `not-found`; a bad position is `rejected`', async () => {
    await client.send({
      method: 'POST',
      path: '/api/v1/rulelists',
      body: { rulelist: { name: 'rl-x', rules: ['a'] } },
    });
    const e = await rejectsWith(
      client.send({ method: 'DELETE', path: '/api/v1/rulelists/rl-x/rules/b' }),
      'not-found',
    );
    assert.equal(e.detail, 'No rule b on rulelist rl-x');
    const bad = await rejectsWith(
      client.send({ method: 'POST', path: '/api/v1/rulelists/rl-x/rules/9', body: { rule: 'z' } }),
      'rejected',
    );
    assert.match(bad.detail, /Cannot insert rule at position 9/);
    await client.send({ method: 'DELETE', path: '/api/v1/rulelists/rl-x' });
  });

  it('unknown operations (404) are `rejected`, not `not-found`', async () => {
    const e = await rejectsWith(client.get('/api/v1/endpoints'), 'rejected');
    assert.equal(e.status, 404);
    assert.equal(e.detail, 'Unknown API operation');
    const ni = await rejectsWith(
      client.send({ method: 'POST', path: '/api/v1/config', body: {} }),
      'rejected',
    );
    assert.equal(ni.status, 500);
    assert.match(ni.detail, /501/);
  });

  it('names with `/`, `:`, `?`, `#`, `%` and non-ASCII work through encodeName', async () => {
    const names = ['a/b', 'x:y?z=1', 'ünï:cødé?x=1', 'p%20q', 'h#1&k=v', 'l7c.C.default.a/b:c'];
    for (const name of names) {
      await client.send({
        method: 'POST',
        path: '/api/v1/clusters',
        body: { cluster: { name, spec: { protocol: 'Echo' } } },
      });
      const c = await client.get<{ name: string }>(`/api/v1/clusters/${encodeName(name)}`);
      assert.equal(c.name, name);
    }
    const all = await client.get<{ name: string }[]>('/api/v1/clusters');
    for (const name of names)
      assert.ok(
        all.some((c) => c.name === name),
        name,
      );
    for (const name of names)
      await client.send({ method: 'DELETE', path: `/api/v1/clusters/${encodeName(name)}` });
    const left = await client.get<{ name: string }[]>('/api/v1/clusters');
    for (const name of names) assert.ok(!left.some((c) => c.name === name), `${name} deleted`);
  });

  it('a malformed JSON body (L8: a stack trace object) maps to a one-line detail', async () => {
    const res = await raw(
      'POST',
      '/api/v1/clusters',
      { 'Content-Type': 'application/json' },
      '{"cluster": {"name": "bad", ',
    );
    assert.equal(res.status, 400);
    const r = interpretResponse(res, { method: 'POST', path: '/api/v1/clusters', adminUrl: proxy.adminUrl });
    assert.ok(!r.ok);
    assert.equal(r.error.kind, 'rejected');
    assert.ok(!/\n|\bat .*\.js:\d+/.test(r.error.detail), r.error.detail);
    assert.match(r.error.detail, /JSON|SyntaxError/);
    // the proxy is still fine
    assert.ok(Array.isArray(await client.get('/api/v1/clusters')));
  });

  it('runs 40 parallel calls through the concurrency bound', async () => {
    const names = Array.from({ length: 40 }, (_, i) => `par-${i}`);
    await Promise.all(
      names.map((name) =>
        client.send({
          method: 'POST',
          path: '/api/v1/clusters',
          body: { cluster: { name, spec: { protocol: 'Echo' } } },
        }),
      ),
    );
    const all = await client.get<{ name: string }[]>('/api/v1/clusters');
    assert.equal(all.filter((c) => c.name.startsWith('par-')).length, 40);
    await Promise.all(
      names.map((name) => client.send({ method: 'DELETE', path: `/api/v1/clusters/${name}` })),
    );
  });
});

describe('ProxyClient transport failures (local misbehaving servers)', () => {
  before(async () => {
    // The dead port must really be dead.
    const srv = createTcpServer();
    await new Promise<void>((res, rej) => srv.once('error', rej).listen(DEAD_PORT, '127.0.0.1', () => res()));
    await new Promise<void>((r) => srv.close(() => r()));
  });

  it('a dead port gives `transport` after the retries, quickly, for GET and (connect failure) POST', async () => {
    const c = new ProxyClient({ adminUrl: `http://127.0.0.1:${DEAD_PORT}`, retries: 2, retryDelayMs: 20 });
    const t0 = Date.now();
    const e = await rejectsWith(c.get('/api/v1/listeners'), 'transport');
    assert.equal(e.code, 'ECONNREFUSED');
    assert.equal(e.attempts, 3);
    const p = await rejectsWith(
      c.send({
        method: 'POST',
        path: '/api/v1/clusters',
        body: { cluster: { name: 'x', spec: { protocol: 'Echo' } } },
      }),
      'transport',
    );
    assert.equal(p.attempts, 3, 'nothing was sent, so the POST is retried too');
    assert.equal(p.maybeApplied, false);
    assert.ok(Date.now() - t0 < 5000, 'never hangs');
    c.close();
  });

  it('a server that accepts and never answers: GET times out and is retried, POST is not retried', async () => {
    const sockets: Socket[] = [];
    let connections = 0;
    const srv = createTcpServer((s) => {
      connections++;
      sockets.push(s);
      s.on('error', () => {});
    });
    const port = await listen(srv);
    try {
      const c = new ProxyClient({
        adminUrl: `http://127.0.0.1:${port}`,
        timeoutMs: 200,
        retries: 1,
        retryDelayMs: 10,
      });
      const g = await rejectsWith(c.get('/api/v1/listeners'), 'timeout');
      assert.equal(g.attempts, 2);
      assert.equal(connections, 2);
      connections = 0;
      const p = await rejectsWith(
        c.send({
          method: 'POST',
          path: '/api/v1/clusters',
          body: { cluster: { name: 'x', spec: { protocol: 'Echo' } } },
        }),
        'timeout',
      );
      assert.equal(p.attempts, 1, 'a POST that reached the server may have been applied: never retried');
      assert.equal(p.maybeApplied, true);
      assert.equal(connections, 1);
      const d = await rejectsWith(c.send({ method: 'DELETE', path: '/api/v1/clusters/x' }), 'timeout');
      assert.equal(d.attempts, 1);
      c.close();
    } finally {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => srv.close(() => r()));
    }
  });

  it('a connection reset after the request was sent: GET retried, DELETE not', async () => {
    let requests = 0;
    const srv = createHttpServer((req) => {
      requests++;
      req.socket.destroy();
    });
    const port = await listen(srv);
    try {
      const c = new ProxyClient({ adminUrl: `http://127.0.0.1:${port}`, retries: 2, retryDelayMs: 10 });
      await rejectsWith(c.get('/x'), 'transport');
      assert.equal(requests, 3);
      requests = 0;
      const d = await rejectsWith(c.send({ method: 'DELETE', path: '/api/v1/clusters/x' }), 'transport');
      assert.equal(requests, 1);
      assert.equal(d.maybeApplied, true);
      c.close();
    } finally {
      await new Promise<void>((r) => srv.close(() => r()));
    }
  });

  it('garbage responses never throw raw', async () => {
    const replies: Record<string, [number, string, Record<string, string>]> = {
      '/ok-garbage': [200, '{"status": 200, "mess', {}],
      '/ok-empty': [200, '', {}],
      '/html': [502, '<html><body>Bad gateway</body></html>', { 'Content-Type': 'text/html' }],
      '/stack': [
        400,
        JSON.stringify({
          status: 400,
          message: 'Bad Request',
          content: {
            stack:
              'SyntaxError: Unexpected end of JSON input\n    at JSON.parse (<anonymous>)\n    at x (/a/b.js:1:2)',
          },
        }),
        { 'Content-Type': 'application/json' },
      ],
      '/number': [500, JSON.stringify({ status: 500, message: 'General Server Error', content: 415 }), {}],
      '/ajv': [
        422,
        JSON.stringify({
          status: 422,
          message: 'Unprocessable Entity: Input JSON schema validation failed',
          content: [{ dataPath: '.cluster', message: "should have required property 'spec'" }],
        }),
        {},
      ],
      '/multiline': [
        400,
        JSON.stringify({ status: 400, message: 'Bad Request', content: 'first line\nsecond line' }),
        {},
      ],
      '/bad-json-error': [400, '{"status": 400, ', {}],
    };
    const srv = createHttpServer((req, res) => {
      const [status, body, headers] = replies[req.url!] ?? [404, 'nope', {}];
      res.writeHead(status, headers).end(body);
    });
    const port = await listen(srv);
    const c = new ProxyClient({ adminUrl: `http://127.0.0.1:${port}`, retries: 0 });
    try {
      const g = await rejectsWith(c.get('/ok-garbage'), 'transport');
      assert.match(g.detail, /malformed JSON/);
      await rejectsWith(c.get('/ok-empty'), 'transport');
      const h = await rejectsWith(c.get('/html'), 'transport');
      assert.match(h.detail, /502/);
      const s = await rejectsWith(c.get('/stack'), 'rejected');
      assert.equal(s.detail, 'SyntaxError: Unexpected end of JSON input');
      const n = await rejectsWith(c.get('/number'), 'rejected');
      assert.match(n.detail, /Content-Type \(415\)/);
      const a = await rejectsWith(c.get('/ajv'), 'rejected');
      assert.equal(a.detail, ".cluster should have required property 'spec'");
      const m = await rejectsWith(c.get('/multiline'), 'rejected');
      assert.equal(m.detail, 'first line');
      const b = await rejectsWith(c.get('/bad-json-error'), 'rejected');
      assert.match(b.detail, /400/);
    } finally {
      c.close();
      await new Promise<void>((r) => srv.close(() => r()));
    }
  });

  it('sends the extra headers and exactly `application/json`; bounds concurrent calls', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    const seen: { ct: string | undefined; auth: string | undefined; method: string }[] = [];
    const srv = createHttpServer((req, res) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      seen.push({ ct: req.headers['content-type'], auth: req.headers.authorization, method: req.method! });
      req.resume();
      setTimeout(() => {
        inFlight--;
        res.end('{"status": 200, "message": "OK"}');
      }, 20);
    });
    const port = await listen(srv);
    const c = new ProxyClient({
      adminUrl: `http://127.0.0.1:${port}`,
      headers: { Authorization: 'Bearer s3cret' },
      maxConcurrent: 3,
    });
    try {
      await Promise.all(Array.from({ length: 12 }, () => c.get('/api/v1/listeners')));
      assert.ok(maxInFlight <= 3 && maxInFlight >= 2, `max in flight ${maxInFlight}`);
      await c.send({ method: 'POST', path: '/api/v1/clusters', body: { cluster: { name: 'x' } } });
      await c.send({ method: 'DELETE', path: '/api/v1/clusters/x' });
      assert.ok(seen.every((s) => s.auth === 'Bearer s3cret'));
      assert.equal(seen.find((s) => s.method === 'POST')!.ct, 'application/json');
      assert.equal(seen.find((s) => s.method === 'DELETE')!.ct, undefined);
    } finally {
      c.close();
      await new Promise<void>((r) => srv.close(() => r()));
    }
  });

  it('TLS: a CA file is trusted, `insecure` skips verification, an unknown certificate is a transport error', async () => {
    const tdir = await mkdtemp(join(tmpdir(), 'l7c-tls-'));
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'rsa:2048',
          '-nodes',
          '-days',
          '1',
          '-subj',
          '/CN=127.0.0.1',
          '-addext',
          'subjectAltName=IP:127.0.0.1',
          '-keyout',
          join(tdir, 'key.pem'),
          '-out',
          join(tdir, 'cert.pem'),
        ],
        { stdio: 'ignore' },
      );
      const srv = createHttpsServer(
        { key: await readFile(join(tdir, 'key.pem')), cert: await readFile(join(tdir, 'cert.pem')) },
        (_req, res) => res.end('[]'),
      );
      const port = await listen(srv);
      try {
        const url = `https://127.0.0.1:${port}`;
        const withCa = new ProxyClient({ adminUrl: url, tls: { ca: 'cert.pem' }, baseDir: tdir });
        assert.deepEqual(await withCa.get('/api/v1/listeners'), []);
        withCa.close();
        const insecure = new ProxyClient({ adminUrl: url, tls: { insecure: true } });
        assert.deepEqual(await insecure.get('/api/v1/listeners'), []);
        insecure.close();
        const strict = new ProxyClient({ adminUrl: url, retries: 3 });
        const e = await rejectsWith(strict.get('/api/v1/listeners'), 'transport');
        assert.equal(e.attempts, 1, 'certificate errors are not retried');
        strict.close();
        const missing = new ProxyClient({ adminUrl: url, tls: { ca: 'nope.pem' }, baseDir: tdir });
        const m = await rejectsWith(missing.get('/api/v1/listeners'), 'transport');
        assert.match(m.detail, /TLS ca file .*nope\.pem/);
      } finally {
        await new Promise<void>((r) => srv.close(() => r()));
      }
    } finally {
      await rm(tdir, { recursive: true, force: true });
    }
  });
});
