// `l7mp-compile watch [DIR | --git URL|PATH --branch B]`: keeps the live proxies matching a
// directory or a Git branch until SIGINT/SIGTERM (runtime/watch/). Logs one line per pass.
import type { Command } from 'commander';
import { startWatch, type WatchOptions } from '../../runtime/watch/start-watch.ts';
import { formatDuration, parseDuration } from '../../runtime/watch/duration.ts';
import { parseLimit } from './plan.ts';
import type { Io } from './common.ts';

interface WatchCliOptions {
  git?: string;
  branch: string;
  cacheDir?: string;
  interval: string;
  debounce: string;
  resyncInterval: string;
  drift: string;
  maxDisruptedSessions?: string;
  listen?: string;
  proxyTimeout: string;
  offload: boolean;
}

function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (s: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(s);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

export function registerWatch(program: Command, io: Io): void {
  program
    .command('watch')
    .description('keep the live proxies matching a directory or a Git branch (runs until Ctrl-C)')
    .argument('[dir]', 'repository directory to watch (without --git)')
    .option('--git <url-or-path>', 'follow a branch of this Git repository instead of a directory')
    .option('--branch <name>', 'the branch to follow (with --git)', 'main')
    .option('--cache-dir <dir>', 'where the Git clone is kept (default: under $XDG_CACHE_HOME or ~/.cache)')
    .option('--interval <duration>', 'fetch the Git branch this often; 0: only on POST /trigger', '30s')
    .option('--debounce <duration>', 'after a file event, wait for edits to settle this long', '500ms')
    .option(
      '--resync-interval <duration>',
      're-plan this often: corrects drift, repairs restarted proxies; 0: never',
      '60s',
    )
    .option('--drift <mode>', 'correct: put drifted proxies back; report: only report them', 'correct')
    .option('--max-disrupted-sessions <n>', 'hold a revision that would end more live sessions')
    .option('--listen <host:port>', 'serve GET /healthz, /status, /metrics and POST /trigger')
    .option('--proxy-timeout <duration>', 'per REST call to a proxy', '5s')
    .option('--no-offload', 'leave the kernel offload of proxies with `spec.offload` alone')
    .action(async (dir: string | undefined, opts: WatchCliOptions) => {
      const fail = (m: string) => {
        io.err(`watch: ${m}\n`);
        io.exit(1);
      };
      if (opts.git && dir) return fail('give a directory or --git, not both');
      const durations = {
        interval: parseDuration(opts.interval),
        debounce: parseDuration(opts.debounce),
        'resync-interval': parseDuration(opts.resyncInterval),
        'proxy-timeout': parseDuration(opts.proxyTimeout),
      };
      for (const [k, v] of Object.entries(durations))
        if (v === undefined) return fail(`--${k}: not a duration (e.g. 500ms, 30s, 2m)`);
      if (opts.drift !== 'correct' && opts.drift !== 'report') return fail('--drift: correct or report');
      const limit = parseLimit(opts.maxDisruptedSessions);
      if (opts.maxDisruptedSessions !== undefined && limit === undefined)
        return fail('--max-disrupted-sessions: a whole number >= 0');

      const from: WatchOptions['from'] = opts.git
        ? { git: opts.git, branch: opts.branch, ...(opts.cacheDir ? { cacheDir: opts.cacheDir } : {}) }
        : { dir: dir ?? '.' };
      const log = (line: string) => io.err(`${new Date().toISOString()} ${line}\n`);
      let watch;
      try {
        watch = await startWatch({
          from,
          intervalMs: durations.interval!,
          debounceMs: durations.debounce!,
          resyncMs: durations['resync-interval']!,
          drift: opts.drift,
          proxyTimeoutMs: durations['proxy-timeout']!,
          ...(opts.offload ? {} : { offload: false }),
          ...(limit !== undefined ? { maxDisruptedSessions: limit } : {}),
          ...(opts.listen ? { listen: opts.listen } : {}),
          log,
        });
      } catch (e) {
        return fail(e instanceof Error ? e.message : String(e));
      }
      const what =
        'git' in from
          ? `branch ${from.branch} of ${from.git} (fetch every ${formatDuration(durations.interval!)})`
          : `directory ${from.dir}`;
      log(
        `watching ${what}; resync every ${formatDuration(durations['resync-interval']!)}, drift: ${opts.drift}`,
      );
      if (watch.server)
        log(`status server at ${watch.server.url} (GET /healthz /status /metrics, POST /trigger)`);
      const signal = await waitForSignal();
      log(`${signal}: stopping after the current pass`);
      await watch.stop();
      io.exit(0);
    });
}
