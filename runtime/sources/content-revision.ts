// The revision of a directory: a hash of its configuration files (paths and bytes), so the same
// files always give the same revision, whatever the modification times say.
import { createHash } from 'node:crypto';
import type { SourceFile } from '../../compiler/host.ts';

export function contentRevision(files: readonly SourceFile[]): string {
  const h = createHash('sha256');
  for (const f of [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
    h.update(`${f.path}\0${f.bytes.length}\0`);
    h.update(f.bytes);
  }
  return `sha256:${h.digest('hex').slice(0, 24)}`;
}
