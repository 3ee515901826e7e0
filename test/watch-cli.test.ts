// The `watch` command as users run it: a child process (bin/l7mp-compile) watching a directory with
// its status server, stopped by SIGTERM; `status DIR` reading the same proxy straight from it; and
// the argument errors that stop `watch` before it starts.
// Ports: admin 18651, data 18751–18753 (no traffic), status 18697.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readRepo } from '../runtime/repo-files.ts';
import { contentRevision } from '../runtime/sources/content-revision.ts';
import { runCli } from './support/run-cli.ts';
import {
  Cleanup,
  TEST_TIMEOUT,
  compileText,
  proxyDoc,
  repoYaml,
  startProxies,
  tempDir,
  waitFor,
  waitForProxy,
  writeRepo,
  udpService,
} from './support/watch-fixture.ts';
import { createRemote } from './support/watch-git-repo.ts';

const ADMIN = 18651;
const LISTEN = '127.0.0.1:18697';
const STATUS_URL = `http://${LISTEN}`;
const BIN = fileURLToPath(new URL('../bin/l7mp-compile', import.meta.url));

const repo = (backendPort: number) =>
  repoYaml([proxyDoc('gw', ADMIN), ...udpService({ name: 'in', app: 'gw', port: 18751, backendPort })]);

describe('l7mp-compile watch (CLI)', { timeout: TEST_TIMEOUT * 2 }, () => {
  const cleanup = new Cleanup();
  let dir: string;
  let child: ChildProcess;
  let stderr = '';
  let exited: Promise<number | null>;

  before(async () => {
    dir = await tempDir(cleanup);
    await writeRepo(dir, repo(18752));
    await startProxies((await compileText(repo(18752))).model.proxies, cleanup);
  });
  after(() => cleanup.run());

  it('runs until SIGTERM, serving /status; `status DIR` agrees', { timeout: TEST_TIMEOUT }, async () => {
    child = spawn(
      process.execPath,
      [BIN, 'watch', dir, '--debounce', '100ms', '--resync-interval', '1s', '--listen', LISTEN],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    exited = new Promise((r) => child.once('exit', (code) => r(code)));
    cleanup.add(async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const log = () => stderr.split('\n');

    await waitFor(
      'the status server answers',
      async () => ((await fetch(`${STATUS_URL}/healthz`)).ok ? true : undefined),
      {
        explain: () => stderr,
      },
    );
    const revision = contentRevision(await readRepo(dir));
    await waitForProxy(STATUS_URL, 'gw', { status: 'SYNCED', revision }, log);
    await writeRepo(dir, repo(18753));
    const next = contentRevision(await readRepo(dir));
    await waitForProxy(STATUS_URL, 'gw', { status: 'SYNCED', revision: next }, log);

    const st = await runCli(['status', dir]);
    assert.equal(st.code, 0, st.stdout + st.stderr);
    assert.match(st.stdout, new RegExp(`^gw\\s+SYNCED\\s+${next.slice(0, 19)}`, 'm'));

    child.kill('SIGTERM');
    assert.equal(await exited, 0, stderr);
    assert.match(stderr, /watching directory/);
    assert.match(stderr, /SIGTERM: stopping/);
  });

  it('refuses bad arguments before starting', { timeout: TEST_TIMEOUT }, async () => {
    const cases: [string[], RegExp][] = [
      [['watch', dir, '--drift', 'maybe'], /--drift: correct or report/],
      [['watch', dir, '--debounce', 'soon'], /--debounce: not a duration/],
      [['watch', dir, '--git', dir], /a directory or --git, not both/],
      [['watch', dir, '--max-disrupted-sessions', '-1'], /--max-disrupted-sessions/],
      [['watch', dir, '--listen', 'nowhere'], /--listen: expected HOST:PORT/],
    ];
    for (const [args, want] of cases) {
      const r = await runCli(args);
      assert.equal(r.code, 1, args.join(' '));
      assert.match(r.stderr, want, args.join(' '));
    }
    const root = await tempDir(cleanup, 'l7c-watch-cli-git-');
    const remote = await createRemote(root);
    await remote.commit({ 'repo.yaml': repo(18752) }, 'first');
    const r = await runCli([
      'watch',
      '--git',
      remote.bare,
      '--branch',
      'nope',
      '--cache-dir',
      `${root}/cache`,
    ]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /cannot clone .* \(branch nope\)/);
  });
});
