// A Git branch as a source (DESIGN §5): the repository (a URL or a local path) is cloned bare into a
// cache directory and fetched on an interval and on demand; a read is the configuration files of
// the branch head commit, whose SHA is the revision. A head that moved to a commit that does not
// descend from the one read before (a force-push, backwards or sideways) is reported with the read.
// Git commands on the cache run one at a time (a fetch and a read never overlap).
import { createHash } from 'node:crypto';
import { mkdir, rm, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { GitRepo, gitAt } from './git-repo.ts';
import type { Snapshot, Source, SourceInfo } from './source.ts';

export interface GitSourceOptions {
  /** a URL git understands, or a local path (a bare repo or a working tree) */
  readonly url: string;
  readonly branch: string;
  /** where the bare clone lives; default `$XDG_CACHE_HOME/l7mp-compile/git/<hash of the URL>` */
  readonly cacheDir?: string;
  /** fetch every this many ms; 0: only on `trigger` */
  readonly intervalMs: number;
}

/** `./repo` → its absolute path (so the cache key and the clone do not depend on the CWD); URLs as they are. */
function normaliseUrl(url: string): string {
  const looksLikeUrl = /^[a-z][a-z0-9+.-]*:\/\//i.test(url) || /^[^/]+@[^/]+:/.test(url);
  return looksLikeUrl || isAbsolute(url) ? url : resolve(url);
}

export function defaultCacheDir(url: string): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  const key = createHash('sha256').update(url).digest('hex').slice(0, 16);
  return join(base, 'l7mp-compile', 'git', key);
}

const BRANCH = /^(?!-)(?!.*\.\.)[A-Za-z0-9._/-]+$/;

export class GitSource implements Source {
  readonly info: SourceInfo;
  private readonly url: string;
  private readonly branch: string;
  private readonly cacheDir: string;
  private readonly intervalMs: number;
  private readonly trackingRef: string;
  private repo: GitRepo | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private notify: ((eventAt: number) => void) | undefined;
  /** the head after the last fetch, and the one the last read returned */
  private fetched: string | undefined;
  private lastRead: string | undefined;

  constructor(opts: GitSourceOptions) {
    if (!BRANCH.test(opts.branch)) throw new Error(`not a valid branch name: ${JSON.stringify(opts.branch)}`);
    this.url = normaliseUrl(opts.url);
    this.branch = opts.branch;
    this.cacheDir = resolve(opts.cacheDir ?? defaultCacheDir(this.url));
    this.intervalMs = opts.intervalMs;
    this.trackingRef = `refs/remotes/origin/${this.branch}`;
    this.info = { kind: 'git', location: this.url, branch: this.branch };
  }

  /** One Git operation on the cache at a time. */
  private serial<T>(task: () => Promise<T>): Promise<T> {
    const run = this.queue.then(task);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** The bare clone, made (or re-made, if it is broken or of another URL) on first use. */
  private async open(): Promise<GitRepo> {
    if (this.repo) return this.repo;
    const usable = await this.cacheIsUsable();
    if (!usable) {
      await rm(this.cacheDir, { recursive: true, force: true });
      await mkdir(dirname(this.cacheDir), { recursive: true });
      try {
        await gitAt().clone(this.url, this.cacheDir, [
          '--bare',
          '--no-tags',
          '--single-branch',
          '--branch',
          this.branch,
        ]);
      } catch (e) {
        await rm(this.cacheDir, { recursive: true, force: true });
        throw new Error(`cannot clone ${this.url} (branch ${this.branch}): ${firstLine(e)}`);
      }
    }
    this.repo = new GitRepo(gitAt(this.cacheDir));
    return this.repo;
  }

  private async cacheIsUsable(): Promise<boolean> {
    if (!(await stat(this.cacheDir).catch(() => undefined))) return false;
    try {
      const git = gitAt(this.cacheDir);
      const bare = (await git.raw(['rev-parse', '--is-bare-repository'])).trim();
      const origin = (await git.raw(['config', '--get', 'remote.origin.url'])).trim();
      return bare === 'true' && origin === this.url;
    } catch {
      return false;
    }
  }

  /** Fetches the branch; returns its head. */
  fetch(): Promise<string> {
    return this.serial(async () => {
      const repo = await this.open();
      try {
        await repo.git.raw([
          'fetch',
          '--no-tags',
          '--force',
          'origin',
          `+refs/heads/${this.branch}:${this.trackingRef}`,
        ]);
      } catch (e) {
        throw new Error(`cannot fetch branch ${this.branch} from ${this.url}: ${firstLine(e)}`);
      }
      const head = await repo.resolve(this.trackingRef);
      if (!head) throw new Error(`branch ${this.branch} of ${this.url} has no commit`);
      this.fetched = head;
      return head;
    });
  }

  async watch(notify: (eventAt: number) => void, health: (e: Error | undefined) => void): Promise<void> {
    this.notify = notify;
    await this.fetch(); // fails fast on a wrong URL or branch
    if (this.intervalMs <= 0) return;
    const poll = async () => {
      if (this.stopped) return;
      try {
        const before = this.fetched;
        const head = await this.fetch();
        health(undefined);
        if (head !== before) notify(Date.now());
      } catch (e) {
        health(e instanceof Error ? e : new Error(String(e)));
      }
      if (!this.stopped) this.timer = setTimeout(() => void poll(), this.intervalMs);
    };
    this.timer = setTimeout(() => void poll(), this.intervalMs);
  }

  async trigger(): Promise<void> {
    await this.fetch();
    this.notify?.(Date.now());
  }

  /** The branch head as last fetched (no network). */
  read(): Promise<Snapshot> {
    return this.serial(async () => {
      const repo = await this.open();
      const head = this.fetched ?? (await repo.resolve(this.trackingRef));
      if (!head) throw new Error(`branch ${this.branch} of ${this.url} has not been fetched yet`);
      const [info, files] = await Promise.all([repo.commit(head), repo.files(head)]);
      const prev = this.lastRead;
      this.lastRead = head;
      const rel = prev === undefined ? 'same' : await repo.relation(prev, head);
      const forced = rel === 'backwards' || rel === 'sideways' || rel === 'unknown';
      return {
        revision: head,
        files,
        changedAt: info.time,
        subject: info.subject,
        ...(forced && prev ? { forcePush: { from: prev, to: head, direction: rel } } : {}),
      };
    });
  }

  /** Any commit of the cached repository, by ref or SHA (for rollbacks). */
  readRef(ref: string): Promise<Snapshot> {
    return this.serial(async () => {
      const repo = await this.open();
      const sha = await repo.resolve(ref);
      if (!sha) throw new Error(`no commit ${JSON.stringify(ref)} in ${this.url}`);
      const [info, files] = await Promise.all([repo.commit(sha), repo.files(sha)]);
      return { revision: sha, files, changedAt: info.time, subject: info.subject };
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.queue;
  }
}

function firstLine(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  const lines = m
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  return lines.find((l) => /^fatal:|^error:/.test(l)) ?? lines[0] ?? 'unknown error';
}
