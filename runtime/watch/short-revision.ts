// A revision as people read it in logs and tables: 12 hex digits of a commit, or of a content hash.
export function shortRevision(rev: string | undefined): string {
  if (rev === undefined) return '-';
  return rev.startsWith('sha256:') ? rev.slice(0, 19) : rev.slice(0, 12);
}
