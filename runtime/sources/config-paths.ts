// Which repository paths are configuration files: the rule of runtime/repo-files.ts (YAML and CUE
// files, not inside VCS metadata, dependencies, `cue.mod` or hidden directories), for sources that
// do not walk a directory (a Git tree) or that filter events (the directory watcher).
import { formatOf } from '../../compiler/stages/load.ts';

const SKIP = new Set(['node_modules', '.git', 'cue.mod']);

/** A directory (or file) name below the repository root that is never read. */
export function isSkippedName(name: string): boolean {
  return SKIP.has(name) || name.startsWith('.');
}

/** `rel`: repo-relative POSIX path of a file. */
export function isConfigPath(rel: string): boolean {
  const parts = rel.split('/');
  if (parts.some((p) => p === '' || isSkippedName(p))) return false;
  return formatOf(parts[parts.length - 1]!) !== undefined;
}
