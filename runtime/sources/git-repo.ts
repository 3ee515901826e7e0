// Reading commits out of a Git repository (a bare cache clone, a working tree or a bare repo) with
// simple-git: resolve a ref, list a commit's configuration files and read them, tell how two commits
// relate. Blobs are content-addressed, so each one is read once and kept while a tree uses it.
import { simpleGit, type SimpleGit } from 'simple-git';
import type { SourceFile } from '../../compiler/host.ts';
import { isConfigPath } from './config-paths.ts';

export interface CommitInfo {
  readonly sha: string;
  /** committer time, epoch ms (Git keeps whole seconds) */
  readonly time: number;
  readonly subject: string;
}

/** How `to` relates to `from`: a descendant (fast-forward), an ancestor (backwards), neither, or unknown. */
export type Relation = 'same' | 'descendant' | 'backwards' | 'sideways' | 'unknown';

/**
 * Git runs with the part of the operator's environment a fetch needs (home, locale, proxies, SSH
 * agent, credentials, Git's own transport settings), never waits for a password on a terminal
 * nobody watches, and gets nothing an interactive session uses (editors, pagers). simple-git blocks
 * settings such as an SSH command or askpass by default, as if they came from untrusted input; here
 * they come from the operator's own environment, so those guards are relaxed for them.
 */
const KEEP =
  /^(HOME|PATH|USER|LOGNAME|LANG|LANGUAGE|LC_\w+|TZ|TMPDIR|XDG_\w+|SSH_AUTH_SOCK|SSH_ASKPASS|(HTTPS?|ALL|NO|FTP)_PROXY|(https?|all|no|ftp)_proxy|SSL_CERT_\w+|CURL_CA_BUNDLE|GIT_(SSH|SSH_COMMAND|SSH_VARIANT|ASKPASS|PROXY_COMMAND|CONFIG_GLOBAL|CONFIG_SYSTEM|CONFIG_NOSYSTEM|CONFIG_COUNT|CONFIG_KEY_\d+|CONFIG_VALUE_\d+|HTTP_\w+|SSL_\w+|TRACE\w*|CURL_VERBOSE))$/;
const ENV: Record<string, string> = { GIT_TERMINAL_PROMPT: '0' };
for (const [k, v] of Object.entries(process.env)) if (v !== undefined && KEEP.test(k)) ENV[k] = v;
const TRUST_ENV = {
  allowUnsafeAskPass: true,
  allowUnsafeSshCommand: true,
  allowUnsafeCredentialHelper: true,
  allowUnsafeConfigPaths: true,
  allowUnsafeConfigEnvCount: true,
  allowUnsafeGitProxy: true,
};

/** simple-git in `dir` (default: the current directory); a git that prints nothing for 2 min is ended. */
export function gitAt(dir?: string): SimpleGit {
  return simpleGit({
    ...(dir ? { baseDir: dir } : {}),
    maxConcurrentProcesses: 4,
    unsafe: TRUST_ENV,
    timeout: { block: 120_000 },
  }).env(ENV);
}

export class GitRepo {
  private readonly blobs = new Map<string, Uint8Array>();

  /** `prefix`: only files below this repo-relative directory, with it cut off their paths */
  constructor(
    readonly git: SimpleGit,
    private readonly prefix = '',
  ) {}

  /** The repository holding `dir` (a working tree, a subdirectory of one, or a bare repo). */
  static async open(dir: string): Promise<GitRepo> {
    const git = gitAt(dir);
    const bare = (await git.raw(['rev-parse', '--is-bare-repository'])).trim() === 'true';
    const prefix = bare ? '' : (await git.raw(['rev-parse', '--show-prefix'])).trim();
    return new GitRepo(git, prefix);
  }

  /** The commit a ref (branch, tag, SHA, `HEAD~2`, …) names, or undefined. */
  async resolve(ref: string): Promise<string | undefined> {
    if (ref.startsWith('-')) return undefined; // never an option
    const sha = (await this.git.raw(['rev-parse', '--verify', '--quiet', `${ref}^{commit}`])).trim();
    return /^[0-9a-f]{40,64}$/.test(sha) ? sha : undefined;
  }

  async commit(sha: string): Promise<CommitInfo> {
    const out = await this.git.raw(['show', '-s', '--format=%H%x00%ct%x00%s', sha]);
    const [full = sha, ct = '0', subject = ''] = out.trim().split('\0');
    return { sha: full, time: Number(ct) * 1000, subject };
  }

  async relation(from: string, to: string): Promise<Relation> {
    if (from === to) return 'same';
    try {
      const base = (await this.git.raw(['merge-base', from, to])).trim();
      return base === from ? 'descendant' : base === to ? 'backwards' : 'sideways';
    } catch {
      return 'unknown'; // the old commit is not in this repository (any more)
    }
  }

  /** The configuration files of a commit's tree, as the compiler takes them. */
  async files(sha: string): Promise<SourceFile[]> {
    const listing = await this.git.raw(['ls-tree', '-r', '-z', '--full-tree', sha]);
    const entries: { path: string; blob: string }[] = [];
    for (const line of listing.split('\0')) {
      const tab = line.indexOf('\t');
      if (tab < 0) continue;
      const [mode, type, blob] = line.slice(0, tab).split(' ');
      let path = line.slice(tab + 1);
      // regular files only, as a directory walk reads them (no symlinks, no submodules)
      if (type !== 'blob' || mode === '120000' || !blob) continue;
      if (this.prefix) {
        if (!path.startsWith(this.prefix)) continue;
        path = path.slice(this.prefix.length);
      }
      if (isConfigPath(path)) entries.push({ path, blob });
    }
    const files: SourceFile[] = [];
    for (const e of entries) {
      let bytes = this.blobs.get(e.blob);
      if (!bytes) {
        bytes = new Uint8Array((await this.git.binaryCatFile(['blob', e.blob])) as Buffer);
        this.blobs.set(e.blob, bytes);
      }
      files.push({ path: e.path, bytes });
    }
    const used = new Set(entries.map((e) => e.blob));
    for (const k of this.blobs.keys()) if (!used.has(k)) this.blobs.delete(k);
    return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }
}
