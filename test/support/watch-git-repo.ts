// A real Git remote for the watch tests: a local bare repository and a working clone that commits
// and pushes (the `git` CLI, with a fixed identity), plus force-pushes of older commits.
import { execFile } from 'node:child_process';
import { mkdir, writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

const ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'watch test',
  GIT_AUTHOR_EMAIL: 'watch@test.invalid',
  GIT_COMMITTER_NAME: 'watch test',
  GIT_COMMITTER_EMAIL: 'watch@test.invalid',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_TERMINAL_PROMPT: '0',
};

export async function git(cwd: string, ...args: string[]): Promise<string> {
  const { stdout } = await run(
    'git',
    ['-c', 'init.defaultBranch=main', '-c', 'commit.gpgsign=false', ...args],
    { cwd, env: ENV },
  );
  return stdout.trim();
}

export interface TestRemote {
  /** the bare repository: what `watch --git` follows */
  readonly bare: string;
  /** the working clone */
  readonly work: string;
  /** replaces the working tree's files (path → text), commits and pushes; returns the commit SHA */
  commit(files: Readonly<Record<string, string>>, message: string): Promise<string>;
  /** points the branch of the remote at `sha` (a force-push) */
  forcePush(sha: string): Promise<void>;
}

export async function createRemote(root: string, branch = 'main'): Promise<TestRemote> {
  const bare = join(root, 'remote.git');
  const work = join(root, 'work');
  await mkdir(bare, { recursive: true });
  await git(bare, 'init', '--bare', '--initial-branch', branch);
  await mkdir(work, { recursive: true });
  await git(work, 'init', '--initial-branch', branch);
  await git(work, 'remote', 'add', 'origin', bare);
  let known = new Set<string>();
  return {
    bare,
    work,
    commit: async (files, message) => {
      for (const f of known) if (!(f in files)) await rm(join(work, f), { force: true });
      for (const [f, text] of Object.entries(files)) {
        await mkdir(join(work, f, '..'), { recursive: true });
        await writeFile(join(work, f), text);
      }
      known = new Set(Object.keys(files));
      await git(work, 'add', '--all');
      await git(work, 'commit', '--allow-empty', '-q', '-m', message);
      await git(work, 'push', '-q', 'origin', `HEAD:refs/heads/${branch}`, '--force');
      return git(work, 'rev-parse', 'HEAD');
    },
    forcePush: async (sha) => {
      await git(work, 'push', '-q', '--force', 'origin', `${sha}:refs/heads/${branch}`);
      await git(work, 'reset', '-q', '--hard', sha);
    },
  };
}
