// `watch --git` on a local bare repository, against a real l7mp proxy: a new commit is applied
// (noticed by polling); a broken commit is rejected with its diagnostics while the proxy keeps the
// previous commit; a force-push to an older commit is applied and logged; the revision /status
// shows is always the one live (recorded on the proxy, and a plan of it is empty). Then the CLI:
// `status --from` the watcher, and with the watcher stopped, `apply --ref` rolls back to a commit
// and `status DIR` reads the proxy's state straight from it.
// Ports: admin 18611, data 18711–18715 (no traffic), status 18692.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Watch } from '../runtime/watch/start-watch.ts';
import { runCli } from './support/run-cli.ts';
import {
  BROKEN_DOC,
  Cleanup,
  TEST_TIMEOUT,
  assertLive,
  compileText,
  getStatus,
  proxyDoc,
  proxyIn,
  recordOn,
  repoYaml,
  startProxies,
  startWatcher,
  tempDir,
  waitFor,
  waitForProxy,
  udpService,
} from './support/watch-fixture.ts';
import { createRemote, type TestRemote } from './support/watch-git-repo.ts';

const ADMIN = 18611;
const ADMIN_URL = `http://127.0.0.1:${ADMIN}`;
const LISTEN = '127.0.0.1:18692';
const URL = `http://${LISTEN}`;

const repo = (backendPort: number) =>
  repoYaml([proxyDoc('gw', ADMIN), ...udpService({ name: 'in', app: 'gw', port: 18711, backendPort })]);

describe('watch --git', { timeout: TEST_TIMEOUT * 2 }, () => {
  const cleanup = new Cleanup();
  const log: string[] = [];
  let root: string;
  let remote: TestRemote;
  let watch: Watch;
  const commits: { sha: string; port: number }[] = [];

  const trigger = async () => {
    const res = await fetch(`${URL}/trigger`, { method: 'POST', body: '{"ref":"refs/heads/main"}' });
    assert.equal(res.status, 202, 'POST /trigger is accepted');
  };
  const live = async (sha: string, port: number) => {
    await waitForProxy(URL, 'gw', { status: 'SYNCED', revision: sha }, log);
    await assertLive({
      url: URL,
      proxy: 'gw',
      adminUrl: ADMIN_URL,
      revision: sha,
      res: await compileText(repo(port)),
    });
  };

  before(async () => {
    root = await tempDir(cleanup, 'l7c-watch-git-');
    remote = await createRemote(root);
    commits.push({ sha: await remote.commit({ 'repo.yaml': repo(18712) }, 'first'), port: 18712 });
    await startProxies((await compileText(repo(18712))).model.proxies, cleanup);
    watch = await startWatcher(
      {
        from: { git: remote.bare, branch: 'main', cacheDir: join(root, 'cache') },
        intervalMs: 1000,
        debounceMs: 100,
        resyncMs: 1000,
        drift: 'correct',
        listen: LISTEN,
      },
      cleanup,
      log,
    );
  });
  after(() => cleanup.run());

  it(
    'applies the branch head at start, then a new commit (noticed by polling)',
    { timeout: TEST_TIMEOUT },
    async () => {
      await live(commits[0]!.sha, 18712);
      const s = await getStatus(URL);
      assert.equal(s.source.kind, 'git');
      assert.equal(s.source.branch, 'main');
      assert.equal(s.source.subject, 'first');
      commits.push({ sha: await remote.commit({ 'repo.yaml': repo(18713) }, 'second'), port: 18713 });
      await live(commits[1]!.sha, 18713);
    },
  );

  it('rejects a broken commit: the proxy keeps the previous one', { timeout: TEST_TIMEOUT }, async () => {
    const good = commits[1]!;
    const broken = await remote.commit(
      { 'repo.yaml': repo(18714), 'broken.yaml': repoYaml([BROKEN_DOC]) },
      'broken',
    );
    await trigger();
    const status = await waitFor('/status shows the broken commit rejected', async () => {
      const s = await getStatus(URL);
      return s.rejected?.revision === broken && proxyIn(s, 'gw')?.status === 'REJECTED' ? s : undefined;
    });
    const first = status.rejected!.diagnostics.find((d) => d.severity === 'error');
    assert.ok(first, 'the diagnostics are in /status');
    assert.equal(first.file, 'broken.yaml');
    assert.equal(proxyIn(status, 'gw')!.error?.code, first.code);
    assert.equal(status.source.revision, broken);
    assert.equal(status.appliedRevision, good.sha);
    await assertLive({
      url: URL,
      proxy: 'gw',
      adminUrl: ADMIN_URL,
      revision: good.sha,
      res: await compileText(repo(good.port)),
    });
  });

  it('applies a force-push to an older commit, and logs it', { timeout: TEST_TIMEOUT }, async () => {
    const head = (await getStatus(URL)).source.revision!;
    const old = commits[0]!;
    await remote.forcePush(old.sha);
    await trigger();
    await live(old.sha, old.port);
    const s = await getStatus(URL);
    assert.equal(s.rejected, undefined);
    assert.equal(s.source.forcePush?.from, head);
    assert.equal(s.source.forcePush?.to, old.sha);
    assert.equal(s.source.forcePush?.direction, 'backwards');
    assert.ok(
      log.some((l) => l.includes('force-push') && l.includes(old.sha.slice(0, 12))),
      `the force-push is logged:\n${log.join('\n')}`,
    );
  });

  it('`status --from` prints the per-proxy table from the watcher', { timeout: TEST_TIMEOUT }, async () => {
    const r = await runCli(['status', '--from', `${URL}/status`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^gw\s+SYNCED\s+/m);
    assert.ok(r.stdout.includes(commits[0]!.sha.slice(0, 12)));
    const j = await runCli(['status', '--from', URL, '--json']);
    assert.equal(JSON.parse(j.stdout).proxies[0].revision, commits[0]!.sha);
  });

  it(
    'rolls back with `apply --ref` (watcher stopped); `status DIR` reads the proxy',
    { timeout: TEST_TIMEOUT },
    async () => {
      await watch.stop();
      const target = commits[1]!;
      const r = await runCli(['apply', remote.work, '--ref', target.sha, '--auto-approve']);
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      assert.equal(
        (await recordOn(ADMIN_URL))?.revision,
        target.sha,
        'the proxy records the rolled-back revision',
      );

      // the working tree is at the first commit: the proxy runs the second, so it is DRIFTED from it
      const st = await runCli(['status', remote.work]);
      assert.equal(st.code, 2, st.stderr);
      assert.match(st.stdout, new RegExp(`^gw\\s+DRIFTED\\s+${target.sha.slice(0, 12)}`, 'm'));
      const again = await runCli(['apply', remote.work, '--ref', 'HEAD', '--auto-approve']);
      assert.equal(again.code, 0, again.stderr);
      const synced = await runCli(['status', remote.work, '--json']);
      assert.equal(synced.code, 0, synced.stdout);
      assert.equal(JSON.parse(synced.stdout).proxies[0].revision, commits[0]!.sha);
      const bad = await runCli(['apply', remote.work, '--ref', 'no-such-ref', '--auto-approve']);
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /no commit "no-such-ref"/);
    },
  );
});
