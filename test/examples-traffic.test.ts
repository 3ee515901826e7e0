// The examples carry real traffic through real l7mp proxies: each example is compiled, every
// proxy's built static config is started as a real `@l7mp/l7mp` process, real backends are
// started, and real datagrams / messages / bytes go end to end. Every test stops everything it
// started in `finally`, whatever happened.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileRepo } from '../runtime/compile-repo.ts';
import { buildOutputs } from '../compiler/stages/emit.ts';
import { startLocalProxy, type LocalProxy } from '../runtime/local-proxy.ts';
import type { ProxyGraph } from '../compiler/model/graph.ts';
import { exampleDir } from './support/examples.ts';
import {
  jsonSocketUdpConnect,
  udpEchoServer,
  udpRoundTrip,
  unixEchoServer,
  wsRoundTrip,
  type JsonSocketUdpClient,
} from './support/traffic.ts';

// Generous: a loaded 2-core machine starts an l7mp process in about a second, sometimes in ten.
const TEST_TIMEOUT = 180_000;

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

interface RunningExample {
  readonly graphs: readonly ProxyGraph[];
  /** proxy name → its running process */
  readonly proxies: ReadonlyMap<string, LocalProxy>;
  readonly outDir: string;
}

/** Compiles an example (no errors allowed), writes each proxy's static config and starts them all. */
async function startExample(name: string, cleanup: Cleanup): Promise<RunningExample> {
  const result = await compileRepo(exampleDir(name));
  const errors = result.diagnostics.filter((d) => d.severity === 'error');
  assert.deepEqual(
    errors.map((d) => `${d.code} ${d.file}: ${d.message}`),
    [],
    `${name} must compile without errors`,
  );
  const outDir = await mkdtemp(join(tmpdir(), `l7mp-${name}-`));
  cleanup.add(() => rm(outDir, { recursive: true, force: true }));
  const outputs = buildOutputs(result.graphs);
  const proxies = new Map<string, LocalProxy>();
  const started = await Promise.allSettled(
    result.graphs.map(async (g) => {
      const file = `${g.proxy}.yaml`;
      const text = outputs.get(file);
      assert.ok(text, `built config for proxy ${g.proxy}`);
      const configPath = join(outDir, file);
      await writeFile(configPath, text);
      const p = await startLocalProxy({ configPath, startTimeoutMs: 60_000 });
      proxies.set(g.proxy, p);
      cleanup.add(() => p.stop());
    }),
  );
  const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return { graphs: result.graphs, proxies, outDir };
}

/** On failure, show what the proxies said: the assertion alone rarely explains a lost datagram. */
async function withProxyLogs<T>(ex: RunningExample | undefined, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (e) {
    if (ex && e instanceof Error)
      e.message += [...ex.proxies]
        .map(([n, p]) => `\n--- proxy ${n} (pid ${p.pid}) ---\n${p.logs().slice(-3000)}`)
        .join('');
    throw e;
  }
}

async function getJson(url: string): Promise<unknown> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  assert.equal(res.status, 200, `GET ${url}`);
  return res.json();
}

const tagged = (tag: string, payloads: readonly string[]) => payloads.map((p) => `${tag}${p}`);

/** Each payload reached the backend, in order (the first may have been re-sent while the path came up). */
function assertReceivedInOrder(received: readonly string[], payloads: readonly string[]) {
  assert.deepEqual([...new Set(received)], payloads);
}

describe('examples carry real traffic through real l7mp proxies', { concurrency: 1 }, () => {
  it(
    'quickstart: UDP client → gateway → sidecar → naked UDP echo service',
    { timeout: TEST_TIMEOUT },
    async () => {
      const cleanup = new Cleanup();
      let ex: RunningExample | undefined;
      try {
        const echo = await udpEchoServer({ port: 15055, tag: 'echo:' });
        cleanup.add(() => echo.close());
        ex = await startExample('quickstart', cleanup);
        assert.deepEqual([...ex.proxies.keys()].sort(), ['gateway', 'sidecar']);
        await withProxyLogs(ex, async () => {
          const payloads = Array.from({ length: 5 }, (_, i) => `quickstart-a-${i}`);
          assert.deepEqual(await udpRoundTrip(15053, payloads), tagged('echo:', payloads));
          // A second client is a second session on both proxies, with its own replies.
          const more = Array.from({ length: 3 }, (_, i) => `quickstart-b-${i}`);
          assert.deepEqual(await udpRoundTrip(15053, more), tagged('echo:', more));
          assertReceivedInOrder(echo.received, [...payloads, ...more]);
        });
      } finally {
        await cleanup.run();
      }
    },
  );

  it(
    'protocol-conversion: UDP → Logger → WebSocket transcoder → UNIX-socket backend',
    { timeout: TEST_TIMEOUT },
    async () => {
      const cleanup = new Cleanup();
      let ex: RunningExample | undefined;
      try {
        // The socket file the example's naked Service `uds-backend` names.
        const uds = await unixEchoServer({ tag: 'uds:', path: '/tmp/l7mp-compile-protocol-conversion.sock' });
        cleanup.add(() => uds.close());
        ex = await startExample('protocol-conversion', cleanup);
        const ingress = ex.proxies.get('ingress');
        assert.ok(ingress && ex.proxies.get('transcoder'));
        await withProxyLogs(ex, async () => {
          // The transcoder alone: a WebSocket client straight to the UNIX-socket backend.
          const direct = ['ws-direct-0', 'ws-direct-1'];
          assert.deepEqual(await wsRoundTrip('ws://127.0.0.1:16001', direct), tagged('uds:', direct));
          // The whole path: each datagram becomes one WebSocket message, then bytes on the socket.
          const payloads = Array.from({ length: 4 }, (_, i) => `udp-via-ws-${i}`);
          // Patient re-sends: two copies in flight could reach the byte-stream backend as one read.
          assert.deepEqual(
            await udpRoundTrip(16000, payloads, { replyTimeoutMs: 5000 }),
            tagged('uds:', payloads),
          );
          assertReceivedInOrder(uds.received, [...direct, ...payloads]);
          // The ingress chain's Logger (log_file "-") saw every datagram on its way in.
          for (const p of payloads)
            assert.ok(
              ingress.logs().includes(`udp-gateway: ${p}`),
              `Logger output has ${p}:\n${ingress.logs()}`,
            );
        });
      } finally {
        await cleanup.run();
      }
    },
  );

  it(
    'media-plane: every built config loads in a real proxy, and the rendezvous joins a call',
    { timeout: TEST_TIMEOUT },
    async () => {
      const cleanup = new Cleanup();
      let ex: RunningExample | undefined;
      try {
        ex = await startExample('media-plane', cleanup);
        assert.deepEqual([...ex.proxies.keys()].sort(), ['gateway', 'worker-a', 'worker-b']);
        const running = ex;
        await withProxyLogs(ex, async () => {
          for (const g of running.graphs) {
            const p = running.proxies.get(g.proxy)!;
            const live = (await getJson(`${p.adminUrl}/api/v1/listeners`)) as { name: string }[];
            const names = live.map((l) => l.name);
            for (const l of g.listeners)
              assert.ok(
                names.includes(l.name),
                `${g.proxy} runs listener ${l.name} (has ${names.join(', ')})`,
              );
            assert.ok(g.listeners.length > 0, `${g.proxy} has listeners of ours`);
            const clusters = ((await getJson(`${p.adminUrl}/api/v1/clusters`)) as { name: string }[]).map(
              (c) => c.name,
            );
            for (const c of g.clusters)
              assert.ok(clusters.includes(c.name), `${g.proxy} has cluster ${c.name}`);
          }

          // Real media: alice and bob are both in call-1 (their rules/user-*.yaml), so the hash ring
          // sends both legs to one worker, whose Sync rendezvous joins them.
          const clients: JsonSocketUdpClient[] = [];
          cleanup.add(async () => void (await Promise.all(clients.map((c) => c.close()))));
          const alice = await jsonSocketUdpConnect(17000, { user: 'alice' });
          clients.push(alice);
          assert.equal(alice.status.JSONSocketStatus, 200, JSON.stringify(alice.status));
          const bob = await jsonSocketUdpConnect(17000, { user: 'bob' });
          clients.push(bob);
          assert.equal(bob.status.JSONSocketStatus, 200, JSON.stringify(bob.status));
          // A user without a rule is refused by the gateway.
          const eve = await jsonSocketUdpConnect(17000, { user: 'eve' });
          clients.push(eve);
          assert.notEqual(eve.status.JSONSocketStatus, 200);

          alice.send('alice-0');
          alice.send('alice-1');
          assert.deepEqual(await bob.waitFor(2, 20_000), ['alice-0', 'alice-1']);
          bob.send('bob-0');
          assert.deepEqual(await alice.waitFor(1, 20_000), ['bob-0']);

          // Both legs of call-1 sit on the same worker; the other worker has none.
          const legs = new Map<string, number>();
          for (const w of ['worker-a', 'worker-b']) {
            const sessions = (await getJson(`${running.proxies.get(w)!.adminUrl}/api/v1/sessions`)) as {
              metadata?: { JSONSocket?: { session_id?: string } };
            }[];
            legs.set(w, sessions.filter((s) => s.metadata?.JSONSocket?.session_id === 'call-1').length);
          }
          assert.deepEqual(
            [...legs.values()].sort(),
            [0, 2],
            `call-1 legs per worker: ${JSON.stringify([...legs])}`,
          );
        });
      } finally {
        await cleanup.run();
      }
    },
  );
});
