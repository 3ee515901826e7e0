// The periodic pass against real l7mp proxies: a proxy restarted empty is repaired; a proxy changed
// by hand is put back, or with --drift=report only reported (DRIFTED, the change stays); a proxy
// locked by another applier is FAILED until the lock is gone; a proxy
// that is down (never started) is UNREACHABLE and does not stop the others.
// Ports: admin 18621 (a), 18622 (b), 18623 (c, never started); data 18721–18726 (no traffic);
// status 18693 and 18694.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CompileResult } from '../compiler/pipeline.ts';
import type { Embedded } from '../runtime/embedded.ts';
import { startEmbedded } from '../runtime/embedded.ts';
import { ProxyClient, encodeName } from '../runtime/proxy/client.ts';
import { acquireLock } from '../runtime/proxy/lock.ts';
import type { Watch } from '../runtime/watch/start-watch.ts';
import type { WatchOptions } from '../runtime/watch/start-watch.ts';
import {
  Cleanup,
  TEST_TIMEOUT,
  compileText,
  getStatus,
  metric,
  pendingCalls,
  proxyDoc,
  proxyIn,
  recordOn,
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

const ADMIN = { a: 18621, b: 18622, c: 18623 };
const url = (port: number) => `http://127.0.0.1:${port}`;
const REPO = repoYaml([
  proxyDoc('a', ADMIN.a),
  proxyDoc('b', ADMIN.b),
  proxyDoc('c', ADMIN.c),
  ...udpService({ name: 'svc-a', app: 'a', port: 18721, backendPort: 18724 }),
  ...udpService({ name: 'svc-b', app: 'b', port: 18722, backendPort: 18725 }),
  ...udpService({ name: 'svc-c', app: 'c', port: 18723, backendPort: 18726 }),
]);

describe('watch: periodic pass', { timeout: TEST_TIMEOUT * 3 }, () => {
  const cleanup = new Cleanup();
  const log: string[] = [];
  let dir: string;
  let res: CompileResult;
  let proxies: Map<string, Embedded>;
  let revision: string;

  const options = (drift: 'correct' | 'report', listen: string): WatchOptions => ({
    from: { dir },
    intervalMs: 0,
    debounceMs: 100,
    resyncMs: 1000,
    drift,
    listen,
    proxyTimeoutMs: 2000,
  });

  /** deletes one of our endpoints on b by hand (behind the watcher's back) */
  const handChange = async () => {
    const ep = res.graphs.find((g) => g.proxy === 'b')!.endpoints[0]!.name;
    const c = new ProxyClient({ adminUrl: url(ADMIN.b) });
    try {
      await c.send({ method: 'DELETE', path: `/api/v1/endpoints/${encodeName(ep)}` });
    } finally {
      c.close();
    }
  };

  before(async () => {
    dir = await tempDir(cleanup);
    await writeRepo(dir, REPO);
    res = await compileText(REPO);
    proxies = await startProxies(
      res.model.proxies.filter((p) => p.id.name !== 'c'),
      cleanup,
    );
  });
  after(() => cleanup.run());

  describe('--drift=correct', () => {
    const LISTEN = '127.0.0.1:18693';
    const URL = `http://${LISTEN}`;
    let watch: Watch;
    before(async () => {
      watch = await startWatcher(options('correct', LISTEN), cleanup, log);
    });
    after(() => watch.stop());

    it(
      'applies to the reachable proxies; the one that is down is UNREACHABLE',
      { timeout: TEST_TIMEOUT },
      async () => {
        const s = await waitForProxy(URL, 'b', { status: 'SYNCED' }, log);
        revision = s.source.revision!;
        await waitForProxy(URL, 'a', { status: 'SYNCED', revision }, log);
        const c = await waitForProxy(URL, 'c', { status: 'UNREACHABLE' }, log);
        assert.equal(proxyIn(c, 'c')!.error?.code, 'unreachable');
        assert.equal(proxyIn(c, 'c')!.revision, undefined);
        assert.deepEqual(await pendingCalls(res, 'a'), []);
        assert.deepEqual(await pendingCalls(res, 'b'), []);
      },
    );

    it('repairs a proxy restarted empty', { timeout: TEST_TIMEOUT }, async () => {
      await proxies.get('a')!.stop();
      const again = await startEmbedded(res.model.proxies.filter((p) => p.id.name === 'a'));
      cleanup.add(() => again.stop());
      proxies.set('a', again);
      await waitFor('a is repaired and records its revision again', async () =>
        (await recordOn(url(ADMIN.a)))?.revision === revision && (await pendingCalls(res, 'a')).length === 0
          ? true
          : undefined,
      );
      await waitForProxy(URL, 'a', { status: 'SYNCED', revision }, log);
    });

    it('puts back a change made by hand', { timeout: TEST_TIMEOUT }, async () => {
      const before = metric(await scrape(URL), 'l7c_watch_drift_found_total', { proxy: 'b' });
      await handChange();
      await waitFor('the drift on b is found and corrected', async () => {
        const found = metric(await scrape(URL), 'l7c_watch_drift_found_total', { proxy: 'b' });
        const logged = log.some((l) => l.includes('b: applied') && l.includes('drift corrected'));
        return found > before && logged && (await pendingCalls(res, 'b')).length === 0 ? true : undefined;
      });
      assert.equal(proxyIn(await getStatus(URL), 'b')!.status, 'SYNCED');
    });

    it(
      'a proxy locked by another applier is FAILED, and SYNCED once the lock is gone',
      { timeout: TEST_TIMEOUT },
      async () => {
        const other = new ProxyClient({ adminUrl: url(ADMIN.b) });
        cleanup.add(() => other.close());
        const lock = await acquireLock(other, { holder: 'someone-else', ttlMs: 120_000 });
        assert.ok('release' in lock, 'the test holds the lock');
        try {
          await handChange();
          const s = await waitForProxy(URL, 'b', { status: 'FAILED' }, log);
          assert.equal(proxyIn(s, 'b')!.error?.code, 'locked');
          assert.match(proxyIn(s, 'b')!.error!.message, /someone-else/);
          assert.equal(proxyIn(s, 'a')!.status, 'SYNCED', 'the others are unaffected');
          assert.equal(
            metric(await scrape(URL), 'l7c_watch_proxy_status', { proxy: 'b', status: 'FAILED' }),
            1,
          );
          assert.equal((await pendingCalls(res, 'b')).length, 1, 'the locked proxy was not changed');
        } finally {
          await lock.release();
        }
        await waitForProxy(URL, 'b', { status: 'SYNCED', revision }, log);
        assert.deepEqual(await pendingCalls(res, 'b'), []);
      },
    );
  });

  describe('--drift=report', () => {
    const LISTEN = '127.0.0.1:18694';
    const URL = `http://${LISTEN}`;
    let watch: Watch;
    before(async () => {
      watch = await startWatcher(options('report', LISTEN), cleanup, log);
    });
    after(() => watch.stop());

    it('only reports a change made by hand', { timeout: TEST_TIMEOUT }, async () => {
      await waitForProxy(URL, 'b', { status: 'SYNCED', revision }, log);
      await handChange();
      const s = await waitForProxy(URL, 'b', { status: 'DRIFTED', revision }, log);
      assert.equal(proxyIn(s, 'b')!.error?.code, 'drift');
      const n = watch.controller.passes;
      await waitFor('two more periodic passes', () => (watch.controller.passes >= n + 2 ? true : undefined));
      const left = await pendingCalls(res, 'b');
      assert.equal(left.length, 1, `the hand change stays: ${left.join(', ')}`);
      assert.match(left[0]!, /^add-endpoint endpoints /);
      const now = await getStatus(URL);
      assert.equal(proxyIn(now, 'b')!.status, 'DRIFTED');
      assert.equal(proxyIn(now, 'a')!.status, 'SYNCED', 'the others are unaffected');
      assert.equal(proxyIn(now, 'c')!.status, 'UNREACHABLE');
      assert.equal(now.lastPass?.outcome, 'drifted');
    });
  });
});
