// `l7mp-compile status [DIR] [--from URL]`: per proxy its status (SYNCED, DRIFTED, FAILED, …), the
// revision live on it, its plan and last error — from a running watcher's /status, or straight
// from the proxies (observe + plan against DIR, and the revision each one records).
// Exit: 0 every proxy SYNCED, 2 some are not, 1 error.
import type { Command } from 'commander';
import { readRepo } from '../../runtime/repo-files.ts';
import { contentRevision } from '../../runtime/sources/content-revision.ts';
import { compileFiles } from '../../runtime/sources/compile-snapshot.ts';
import { statusFromProxies } from '../../runtime/watch/proxy-status.ts';
import type { WatchStatus } from '../../runtime/watch/status-model.ts';
import { renderStatusTable } from '../render/status-table.ts';
import type { Io } from './common.ts';

async function fromWatcher(url: string): Promise<WatchStatus> {
  const u = new URL(url);
  if (u.pathname === '/' || u.pathname === '') u.pathname = '/status';
  const res = await fetch(u, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`${u.href}: HTTP ${res.status}`);
  const body = (await res.json()) as WatchStatus;
  if (!body || !Array.isArray(body.proxies))
    throw new Error(`${u.href} did not answer with a watcher status`);
  return body;
}

async function fromProxies(dir: string): Promise<WatchStatus> {
  const files = await readRepo(dir);
  const res = await compileFiles(files);
  return statusFromProxies({ kind: 'directory', location: dir, revision: contentRevision(files) }, res);
}

export function registerStatus(program: Command, io: Io): void {
  program
    .command('status')
    .description('per-proxy status: from a running watcher (--from), or read straight from the proxies')
    .argument('[dir]', 'repository directory (without --from)', '.')
    .option('--from <url>', "a watcher's status URL, e.g. http://127.0.0.1:9090/status")
    .option('--json', 'print the status as JSON', false)
    .action(async (dir: string, opts: { from?: string; json: boolean }) => {
      let status: WatchStatus;
      try {
        status = opts.from ? await fromWatcher(opts.from) : await fromProxies(dir);
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        if (!opts.from && err.code) throw e; // file errors: main reports them
        io.err(`status: ${err.message}${err.cause instanceof Error ? ` (${err.cause.message})` : ''}\n`);
        return io.exit(1);
      }
      io.out(
        opts.json ? `${JSON.stringify(status, null, 2)}\n` : renderStatusTable(status, { color: io.color }),
      );
      io.exit(!status.rejected && status.proxies.every((p) => p.status === 'SYNCED') ? 0 : 2);
    });
}
