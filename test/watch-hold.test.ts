// --max-disrupted-sessions against a real l7mp proxy carrying real traffic: a UDP singleton
// listener with a live session (its socket is the session's socket), then a revision that moves
// the listener to another port. Replacing the listener would end the session, so with a limit of 0
// the revision is HELD: nothing is applied and the traffic keeps flowing. Once the session is gone
// (ended by hand here), the next periodic pass applies the held revision.
// Ports: admin 18631; listener 18731 → 18734, its peer 18732, backend 18733; status 18695.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { CompileResult } from '../compiler/pipeline.ts';
import { ProxyClient, encodeName } from '../runtime/proxy/client.ts';
import { observe } from '../runtime/proxy/observe.ts';
import { readRepo } from '../runtime/repo-files.ts';
import { contentRevision } from '../runtime/sources/content-revision.ts';
import { openLiveUdp, probeUdp, type LiveClient } from './support/live-traffic.ts';
import { udpEchoServer } from './support/traffic.ts';
import {
  Cleanup,
  TEST_TIMEOUT,
  assertLive,
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

const ADMIN = 18631;
const ADMIN_URL = `http://127.0.0.1:${ADMIN}`;
const PORT = { listener: 18731, peer: 18732, backend: 18733, moved: 18734 };
const LISTEN = '127.0.0.1:18695';
const URL = `http://${LISTEN}`;

const repo = (port: number) =>
  repoYaml([
    proxyDoc('gw', ADMIN),
    ...udpService({
      name: 'single',
      app: 'gw',
      port,
      backendPort: PORT.backend,
      connect: { address: '127.0.0.1', port: PORT.peer },
    }),
  ]);

describe('watch --max-disrupted-sessions', { timeout: TEST_TIMEOUT * 2 }, () => {
  const cleanup = new Cleanup();
  const log: string[] = [];
  let dir: string;
  let base: CompileResult;
  let moved: CompileResult;
  let client: LiveClient;
  let baseRevision: string;

  before(async () => {
    dir = await tempDir(cleanup);
    await writeRepo(dir, repo(PORT.listener));
    base = await compileText(repo(PORT.listener));
    moved = await compileText(repo(PORT.moved));
    const echo = await udpEchoServer({ port: PORT.backend, tag: 'b:' });
    cleanup.add(() => echo.close());
    await startProxies(base.model.proxies, cleanup);
    await startWatcher(
      {
        from: { dir },
        intervalMs: 0,
        debounceMs: 100,
        resyncMs: 1000,
        drift: 'correct',
        maxDisruptedSessions: 0,
        listen: LISTEN,
      },
      cleanup,
      log,
    );
  });
  after(() => cleanup.run());

  it('applies the base; its singleton session carries traffic', { timeout: TEST_TIMEOUT }, async () => {
    baseRevision = contentRevision(await readRepo(dir));
    await waitForProxy(URL, 'gw', { status: 'SYNCED', revision: baseRevision }, log);
    client = await openLiveUdp({ port: PORT.listener, localPort: PORT.peer });
    cleanup.add(() => client.close());
    await client.waitFor(3, { timeoutMs: 20_000 });
  });

  it(
    'holds a revision that would end the live session; traffic keeps flowing',
    { timeout: TEST_TIMEOUT },
    async () => {
      await writeRepo(dir, repo(PORT.moved));
      const heldRevision = contentRevision(await readRepo(dir));
      const s = await waitFor('/status shows the new revision held', async () => {
        const st = await getStatus(URL);
        return st.held?.revision === heldRevision && proxyIn(st, 'gw')?.status === 'HELD' ? st : undefined;
      });
      assert.deepEqual(s.held, { revision: heldRevision, sessionsCut: 1, limit: 0 });
      const gw = proxyIn(s, 'gw')!;
      assert.equal(gw.error?.code, 'held');
      assert.equal(gw.plan?.sessionsCut, 1);
      assert.equal(gw.revision, baseRevision, 'the proxy still runs the base revision');
      assert.equal(s.appliedRevision, baseRevision);

      const mark = client.mark();
      await client.waitFor(5, { mark, timeoutMs: 20_000 });
      await assertLive({ url: URL, proxy: 'gw', adminUrl: ADMIN_URL, revision: baseRevision, res: base });
      assert.ok((await pendingCalls(moved, 'gw')).length > 0, 'the held revision is not live');
      // (a pass is counted when it ends, just after /status shows what it found)
      const m = await waitFor('the held pass is counted', async () => {
        const x = await scrape(URL);
        return metric(x, 'l7c_watch_passes_total', { outcome: 'held' }) >= 1 ? x : undefined;
      });
      assert.equal(metric(m, 'l7c_watch_sessions_cut_total'), 0);
    },
  );

  it('applies the held revision once the session is gone', { timeout: TEST_TIMEOUT }, async () => {
    const c = new ProxyClient({ adminUrl: ADMIN_URL });
    cleanup.add(() => c.close());
    const live = await observe(c, { proxy: 'gw', adminUrl: ADMIN_URL });
    assert.equal(live.sessions.length, 1, 'one live session');
    await c.send({ method: 'DELETE', path: `/api/v1/sessions/${encodeName(live.sessions[0]!.name)}` });
    await client.close();

    const revision = contentRevision(await readRepo(dir));
    await waitForProxy(URL, 'gw', { status: 'SYNCED', revision }, log);
    await assertLive({ url: URL, proxy: 'gw', adminUrl: ADMIN_URL, revision, res: moved });
    assert.equal((await recordOn(ADMIN_URL))?.revision, revision);
    assert.equal((await getStatus(URL)).held, undefined);
    const tally = await probeUdp({ port: PORT.moved, localPort: PORT.peer, timeoutMs: 20_000 });
    assert.equal(tally.byTag['b:'], tally.total, 'the peer reaches the backend through the moved listener');
  });
});
