// Any revision of a local Git repository (a working tree, a subdirectory of one, or a bare repo),
// read without checking it out: `apply --ref REV` applies an older commit through the normal plan.
import { GitRepo } from './git-repo.ts';
import type { Snapshot } from './source.ts';

export async function readGitRef(dir: string, ref: string): Promise<Snapshot> {
  let repo: GitRepo;
  try {
    repo = await GitRepo.open(dir);
  } catch {
    throw new Error(`${dir} is not inside a Git repository`);
  }
  const sha = await repo.resolve(ref);
  if (!sha) throw new Error(`no commit ${JSON.stringify(ref)} in the Git repository at ${dir}`);
  const [info, files] = await Promise.all([repo.commit(sha), repo.files(sha)]);
  return { revision: sha, files, changedAt: info.time, subject: info.subject };
}
