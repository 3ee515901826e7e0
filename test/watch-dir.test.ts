// `watch DIR` against a real l7mp proxy: an edit is applied; 50 rapid edits end with the proxy
// running the last one (debounced into a few passes); a broken edit changes nothing live and shows
// its diagnostics in /status; the fix is then applied. Every step checks that the revision /status
// shows is the one live: recorded on the proxy, and a plan of that revision is empty.
// Ports: admin 18601, data 18701–18760 (no traffic: nothing listens behind the cluster), status 18691.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { readRepo } from '../runtime/repo-files.ts';
import { contentRevision } from '../runtime/sources/content-revision.ts';
import { ProxyClient } from '../runtime/proxy/client.ts';
import { observe } from '../runtime/proxy/observe.ts';
import type { Watch } from '../runtime/watch/start-watch.ts';
import {
  BROKEN_DOC,
  Cleanup,
  TEST_TIMEOUT,
  assertLive,
  compileText,
  getStatus,
  proxyDoc,
  proxyIn,
  repoYaml,
  startProxies,
  startWatcher,
  tempDir,
  waitFor,
  waitForProxy,
  writeRepo,
  udpService,
} from './support/watch-fixture.ts';

const ADMIN = 18601;
const ADMIN_URL = `http://127.0.0.1:${ADMIN}`;
const LISTEN = '127.0.0.1:18691';
const URL = `http://${LISTEN}`;

const repo = (backendPort: number) =>
  repoYaml([proxyDoc('gw', ADMIN), ...udpService({ name: 'in', app: 'gw', port: 18701, backendPort })]);

describe('watch DIR', { timeout: TEST_TIMEOUT * 2 }, () => {
  const cleanup = new Cleanup();
  const log: string[] = [];
  let dir: string;
  let watch: Watch;

  const revisionOf = async () => contentRevision(await readRepo(dir));
  /** writes the repo, waits until the proxy runs it, checks it is live; returns the revision */
  const applied = async (backendPort: number) => {
    const revision = await revisionOf();
    await waitForProxy(URL, 'gw', { status: 'SYNCED', revision }, log);
    await assertLive({
      url: URL,
      proxy: 'gw',
      adminUrl: ADMIN_URL,
      revision,
      res: await compileText(repo(backendPort)),
    });
    return revision;
  };

  before(async () => {
    dir = await tempDir(cleanup);
    await writeRepo(dir, repo(18702));
    await startProxies((await compileText(repo(18702))).model.proxies, cleanup);
    watch = await startWatcher(
      { from: { dir }, intervalMs: 0, debounceMs: 100, resyncMs: 1000, drift: 'correct', listen: LISTEN },
      cleanup,
      log,
    );
  });
  after(() => cleanup.run());

  it('applies the repository at start, then an edit', { timeout: TEST_TIMEOUT }, async () => {
    const first = await applied(18702);
    await writeRepo(dir, repo(18703));
    const second = await applied(18703);
    assert.notEqual(first, second);
  });

  it('ends 50 rapid edits with the proxy running the last one', { timeout: TEST_TIMEOUT }, async () => {
    const before = watch.controller.passes;
    for (let i = 0; i < 50; i++) await writeRepo(dir, repo(18710 + i));
    await applied(18759);
    const passes = watch.controller.passes - before;
    assert.ok(passes < 50, `the edits were debounced into fewer passes (${passes})`);
  });

  it(
    'rejects a broken edit: nothing changes live, /status shows the diagnostics',
    { timeout: TEST_TIMEOUT },
    async () => {
      const good = await revisionOf();
      const client = new ProxyClient({ adminUrl: ADMIN_URL });
      cleanup.add(() => client.close());
      const liveBefore = await observe(client, { proxy: 'gw', adminUrl: ADMIN_URL });

      await writeRepo(dir, repoYaml([BROKEN_DOC]), 'broken.yaml');
      const broken = await revisionOf();
      const status = await waitFor('/status shows the broken revision rejected', async () => {
        const s = await getStatus(URL);
        return s.rejected?.revision === broken && proxyIn(s, 'gw')?.status === 'REJECTED' ? s : undefined;
      });
      const errors = status.rejected!.diagnostics.filter((d) => d.severity === 'error');
      assert.ok(errors.length > 0, 'the diagnostics are in /status');
      assert.equal(errors[0]!.file, 'broken.yaml');
      const gw = proxyIn(status, 'gw')!;
      assert.equal(gw.error?.code, errors[0]!.code, "the proxy's error carries the first error's code");
      assert.equal(gw.revision, good, 'the last good revision stays live');
      assert.equal(status.appliedRevision, good);

      // a few more passes (resyncs) later, still nothing of it is live
      const n = watch.controller.passes;
      await waitFor('two more passes', () => (watch.controller.passes >= n + 2 ? true : undefined));
      const liveAfter = await observe(client, { proxy: 'gw', adminUrl: ADMIN_URL });
      assert.equal(liveAfter.fingerprint, liveBefore.fingerprint, 'the live configuration did not change');
      await assertLive({
        url: URL,
        proxy: 'gw',
        adminUrl: ADMIN_URL,
        revision: good,
        res: await compileText(repo(18759)),
      });
    },
  );

  it('applies the fix', { timeout: TEST_TIMEOUT }, async () => {
    await rm(join(dir, 'broken.yaml'));
    await writeRepo(dir, repo(18760));
    await applied(18760);
    const s = await getStatus(URL);
    assert.equal(s.rejected, undefined, 'no longer rejected');
    assert.equal(s.appliedRevision, await revisionOf());
  });
});
