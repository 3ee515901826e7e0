// /metrics (and the other endpoints) after a few real passes against real l7mp proxies: every
// series the docs list is there with values that follow from what happened — passes by outcome,
// their durations, REST calls by kind, failures (a proxy that is down), drift found (a change made
// by hand), sessions cut (a UDP singleton listener moved under a live session, no limit set) and
// commit-to-converged times (from the file events). Scraped and parsed as Prometheus text.
// Ports: admin 18641 (m), 18642 (dead, never started); listener 18741 → 18744, its peer 18742,
// backend 18743; status 18696.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CompileResult } from '../compiler/pipeline.ts';
import { ProxyClient, encodeName } from '../runtime/proxy/client.ts';
import { readRepo } from '../runtime/repo-files.ts';
import { contentRevision } from '../runtime/sources/content-revision.ts';
import { openLiveUdp } from './support/live-traffic.ts';
import { udpEchoServer } from './support/traffic.ts';
import {
  Cleanup,
  TEST_TIMEOUT,
  compileText,
  metric,
  pendingCalls,
  proxyDoc,
  repoYaml,
  scrape,
  startProxies,
  startWatcher,
  tempDir,
  waitFor,
  waitForProxy,
  writeRepo,
  udpService,
} from './support/watch-fixture.ts';

const ADMIN = { m: 18641, dead: 18642 };
const PORT = { listener: 18741, peer: 18742, backend: 18743, moved: 18744 };
const LISTEN = '127.0.0.1:18696';
const URL = `http://${LISTEN}`;

const repo = (port: number) =>
  repoYaml([
    proxyDoc('m', ADMIN.m),
    proxyDoc('dead', ADMIN.dead, { app: 'm' }, '127.0.0.2'),
    ...udpService({
      name: 'single',
      app: 'm',
      port,
      backendPort: PORT.backend,
      connect: { address: '127.0.0.1', port: PORT.peer },
    }),
  ]);

const SERIES = [
  'l7c_watch_passes_total',
  'l7c_watch_pass_duration_seconds_bucket',
  'l7c_watch_pass_duration_seconds_sum',
  'l7c_watch_pass_duration_seconds_count',
  'l7c_watch_rest_calls_total',
  'l7c_watch_failures_total',
  'l7c_watch_drift_found_total',
  'l7c_watch_sessions_cut_total',
  'l7c_watch_commit_to_converged_seconds_bucket',
  'l7c_watch_commit_to_converged_seconds_sum',
  'l7c_watch_commit_to_converged_seconds_count',
  'l7c_watch_proxy_status',
];

describe('watch: /metrics and the other endpoints', { timeout: TEST_TIMEOUT * 2 }, () => {
  const cleanup = new Cleanup();
  const log: string[] = [];
  let dir: string;
  let moved: CompileResult;

  before(async () => {
    dir = await tempDir(cleanup);
    await writeRepo(dir, repo(PORT.listener));
    const base = await compileText(repo(PORT.listener));
    moved = await compileText(repo(PORT.moved));
    const echo = await udpEchoServer({ port: PORT.backend, tag: 'b:' });
    cleanup.add(() => echo.close());
    await startProxies(
      base.model.proxies.filter((p) => p.id.name === 'm'),
      cleanup,
    );
    await startWatcher(
      {
        from: { dir },
        intervalMs: 0,
        debounceMs: 100,
        resyncMs: 1000,
        drift: 'correct',
        listen: LISTEN,
        proxyTimeoutMs: 2000,
      },
      cleanup,
      log,
    );
  });
  after(() => cleanup.run());

  it('exposes every series with real values after a few passes', { timeout: TEST_TIMEOUT }, async () => {
    await waitForProxy(URL, 'm', { status: 'SYNCED', revision: contentRevision(await readRepo(dir)) }, log);
    const client = await openLiveUdp({ port: PORT.listener, localPort: PORT.peer });
    cleanup.add(() => client.close());
    await client.waitFor(3, { timeoutMs: 20_000 });

    // a revision that moves the listener: its live session ends (no limit is set)
    await writeRepo(dir, repo(PORT.moved));
    await waitForProxy(URL, 'm', { status: 'SYNCED', revision: contentRevision(await readRepo(dir)) }, log);
    await client.close();

    // a change made by hand, put back by a periodic pass
    const ep = moved.graphs.find((g) => g.proxy === 'm')!.endpoints[0]!.name;
    const c = new ProxyClient({ adminUrl: `http://127.0.0.1:${ADMIN.m}` });
    cleanup.add(() => c.close());
    await c.send({ method: 'DELETE', path: `/api/v1/endpoints/${encodeName(ep)}` });
    const m = await waitFor('the drift is found and put back', async () => {
      const s = await scrape(URL);
      // (the pass that corrects it is counted when it ends: after the proxy is put back)
      return metric(s, 'l7c_watch_drift_found_total', { proxy: 'm' }) >= 1 &&
        metric(s, 'l7c_watch_passes_total', { outcome: 'applied' }) >= 3 &&
        (await pendingCalls(moved, 'm')).length === 0
        ? s
        : undefined;
    });

    for (const name of SERIES)
      assert.ok(
        [...m.keys()].some((k) => k.split('{')[0] === name),
        `${name} is exposed`,
      );
    const passes = metric(m, 'l7c_watch_passes_total');
    assert.ok(
      metric(m, 'l7c_watch_passes_total', { outcome: 'applied' }) >= 3,
      'start, edit and drift passes applied',
    );
    assert.ok(metric(m, 'l7c_watch_pass_duration_seconds_count') >= passes, 'every pass has a duration');
    assert.ok(metric(m, 'l7c_watch_pass_duration_seconds_sum') > 0);
    assert.ok(metric(m, 'l7c_watch_rest_calls_total', { kind: 'listeners', action: 'create' }) >= 1);
    assert.ok(metric(m, 'l7c_watch_rest_calls_total', { kind: 'listeners', action: 'replace-create' }) >= 1);
    assert.ok(metric(m, 'l7c_watch_rest_calls_total', { kind: 'endpoints', action: 'add-endpoint' }) >= 1);
    assert.ok(metric(m, 'l7c_watch_rest_calls_total', { action: 'revision-record' }) >= 2);
    assert.ok(metric(m, 'l7c_watch_failures_total', { proxy: 'dead', code: 'unreachable' }) >= passes - 1);
    assert.equal(metric(m, 'l7c_watch_sessions_cut_total'), 1, 'the moved listener ended one session');
    assert.ok(metric(m, 'l7c_watch_commit_to_converged_seconds_count') >= 1, 'the edit was timed');
    assert.ok(metric(m, 'l7c_watch_commit_to_converged_seconds_sum') > 0);
    assert.equal(metric(m, 'l7c_watch_proxy_status', { proxy: 'm', status: 'SYNCED' }), 1);
    assert.equal(metric(m, 'l7c_watch_proxy_status', { proxy: 'dead', status: 'UNREACHABLE' }), 1);
    assert.equal(metric(m, 'l7c_watch_proxy_status', { proxy: 'm' }), 1, 'one status at a time');
  });

  it('answers /healthz, refuses unknown endpoints and methods', { timeout: TEST_TIMEOUT }, async () => {
    const h = await fetch(`${URL}/healthz`);
    assert.equal(h.status, 200);
    assert.equal(await h.text(), 'ok\n');
    assert.equal((await fetch(`${URL}/nope`)).status, 404);
    assert.equal((await fetch(`${URL}/trigger`)).status, 405, 'the webhook is POST only');
    assert.equal((await fetch(`${URL}/trigger`, { method: 'POST' })).status, 202);
  });
});
