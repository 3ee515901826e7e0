// bench/watch: commit-to-converged latency of `watch --git`. Starts 10 real local l7mp proxies and a
// local bare Git repository, then:
//   baseline  a change of every proxy's cluster applied directly in-process (compile + plan +
//             apply, as `apply --auto-approve` does);
//   watch     the same kind of change committed and pushed to the bare repo, then POST /trigger
//             (a webhook; with --mode poll the watcher finds it by fetching every --interval),
//             timed from just before `git commit` until /status shows every proxy SYNCED at it;
// interleaved N times, so that both see the same machine load.
// Prints median and p90 of both and their ratio (machines are shared and noisy: compare the ratio).
//   npx tsx bench/watch.ts [--proxies 10] [--commits 20] [--mode webhook|poll] [--interval 1s]
// Ports: admin 18661–18670 (at most 10 proxies), listeners 18761–18770, backends 18780–18799 (no
// traffic), status 18698.
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { compile, type CompileResult } from '../compiler/pipeline.ts';
import { startEmbedded } from '../runtime/embedded.ts';
import { planRepo } from '../runtime/reconcile/plan-repo.ts';
import { applyPlan } from '../runtime/reconcile/apply.ts';
import { startWatch } from '../runtime/watch/start-watch.ts';
import { parseDuration } from '../runtime/watch/duration.ts';
import type { WatchStatus } from '../runtime/watch/status-model.ts';

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? (process.argv[i + 1] ?? dflt) : dflt;
};
const PROXIES = Math.min(10, Number(arg('proxies', '10')));
const COMMITS = Math.min(20, Number(arg('commits', '20')));
const MODE = arg('mode', 'webhook') === 'poll' ? 'poll' : 'webhook';
const INTERVAL = parseDuration(arg('interval', '1s')) ?? 1000;
const LISTEN = '127.0.0.1:18698';
const STATUS = `http://${LISTEN}`;

const run = promisify(execFile);
const env = {
  ...process.env,
  GIT_AUTHOR_NAME: 'bench',
  GIT_AUTHOR_EMAIL: 'bench@example.invalid',
  GIT_COMMITTER_NAME: 'bench',
  GIT_COMMITTER_EMAIL: 'bench@example.invalid',
  GIT_CONFIG_NOSYSTEM: '1',
};
const git = async (cwd: string, ...args: string[]) =>
  (await run('git', ['-c', 'commit.gpgsign=false', ...args], { cwd, env })).stdout.trim();

/** 10 proxies, each with a UDP listener routed to a target whose port is the revision's knob. */
function repo(backendPort: number): string {
  const docs: unknown[] = [];
  for (let i = 0; i < PROXIES; i++) {
    const app = `p${i}`;
    const select = { matchLabels: { app } };
    docs.push(
      {
        kind: 'Proxy',
        metadata: { name: app, labels: { app } },
        spec: { admin: { url: `http://127.0.0.1:${18661 + i}` }, address: '127.0.0.1' },
      },
      {
        kind: 'Target',
        metadata: { name: `be-${i}` },
        spec: {
          selector: select,
          cluster: { spec: { UDP: { port: backendPort } }, endpoints: [{ spec: { address: '127.0.0.1' } }] },
        },
      },
      {
        kind: 'VirtualService',
        metadata: { name: `vs-${i}` },
        spec: {
          selector: select,
          listener: {
            spec: { UDP: { port: 18761 + i } },
            rules: [{ action: { route: { destination: `be-${i}` } } }],
          },
        },
      },
    );
  }
  return `${docs.map((d) => JSON.stringify(d)).join('\n---\n')}\n`;
}

const compileText = (text: string): Promise<CompileResult> =>
  compile({ files: [{ path: 'repo.yaml', bytes: new TextEncoder().encode(text) }] });

function stats(xs: readonly number[]): { median: number; p90: number } {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)]!;
  return { median: at(0.5), p90: at(0.9) };
}

async function converged(sha: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const s = (await (await fetch(`${STATUS}/status`)).json()) as WatchStatus;
    if (s.proxies.length === PROXIES && s.proxies.every((p) => p.status === 'SYNCED' && p.revision === sha))
      return;
    if (Date.now() > deadline) throw new Error(`not converged on ${sha}: ${JSON.stringify(s.proxies)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(tmpdir(), 'l7c-bench-watch-'));
  const bare = join(root, 'remote.git');
  const work = join(root, 'work');
  await mkdir(bare);
  await mkdir(work);
  await git(bare, 'init', '-q', '--bare', '--initial-branch', 'main');
  await git(work, 'init', '-q', '--initial-branch', 'main');
  await git(work, 'remote', 'add', 'origin', bare);

  const first = await compileText(repo(18780));
  const emb = await startEmbedded(first.model.proxies);
  try {
    await writeFile(join(work, 'repo.yaml'), repo(18780));
    await git(work, 'add', '-A');
    await git(work, 'commit', '-q', '-m', 'start');
    await git(work, 'push', '-q', 'origin', 'HEAD:main');
    const watch = await startWatch({
      from: { git: bare, branch: 'main', cacheDir: join(root, 'cache') },
      intervalMs: MODE === 'poll' ? INTERVAL : 0,
      debounceMs: 100,
      resyncMs: 600_000,
      drift: 'correct',
      listen: LISTEN,
    });
    try {
      await converged(await git(work, 'rev-parse', 'HEAD'));
      // interleaved, so both see the same machine load: a direct change, then a commit
      const direct: number[] = [];
      const latency: number[] = [];
      for (let k = 1; k <= COMMITS; k++) {
        let t0 = performance.now();
        const res = await compileText(repo(18780 + (k % 10)));
        const { plan, clientFor } = await planRepo(res);
        const results = await applyPlan(plan, { clientFor, desired: res.graphs });
        for (const p of plan.proxies) clientFor(p.proxy).close();
        if (results.some((r) => r.status !== 'applied'))
          throw new Error(`baseline apply: ${JSON.stringify(results)}`);
        direct.push(performance.now() - t0);

        t0 = performance.now();
        await writeFile(join(work, 'repo.yaml'), repo(18790 + (k % 10)));
        await git(work, 'commit', '-q', '-am', `commit ${k}`);
        await git(work, 'push', '-q', 'origin', 'HEAD:main');
        if (MODE === 'webhook') await fetch(`${STATUS}/trigger`, { method: 'POST' });
        await converged(await git(work, 'rev-parse', 'HEAD'));
        latency.push(performance.now() - t0);
      }
      const d = stats(direct);
      const w = stats(latency);
      const m = await (await fetch(`${STATUS}/metrics`)).text();
      const metricCount = /^l7c_watch_commit_to_converged_seconds_count (\S+)$/m.exec(m)?.[1];
      const ms = (x: number) => `${x.toFixed(0)} ms`;
      console.log(
        `bench/watch: ${PROXIES} proxies, ${COMMITS} commits, mode ${MODE}${MODE === 'poll' ? ` (fetch every ${INTERVAL} ms)` : ''}`,
      );
      console.log(`  direct plan+apply (baseline)   median ${ms(d.median)}   p90 ${ms(d.p90)}`);
      console.log(`  commit-to-converged (watch)    median ${ms(w.median)}   p90 ${ms(w.p90)}`);
      console.log(
        `  ratio watch/baseline           median ${(w.median / d.median).toFixed(2)}x   p90 ${(w.p90 / d.p90).toFixed(2)}x`,
      );
      console.log(
        `  (the watcher's own l7c_watch_commit_to_converged_seconds histogram holds ${metricCount} observations, from whole-second commit times)`,
      );
    } finally {
      await watch.stop();
    }
  } finally {
    await emb.stop();
    await rm(root, { recursive: true, force: true });
  }
}

await main();
