// commit-to-converged: from when a revision came to be (its commit time for Git, the first file
// event for a directory) to the pass after which every proxy that could be reached runs it.
// Only revisions that appear while watching are timed (not the one found at start); a revision is
// timed once.
import type { Snapshot } from '../sources/source.ts';
import type { ProxyStatus } from './status-model.ts';

export class ConvergenceTimer {
  private awaiting: { revision: string; changedAt: number } | undefined;
  private lastRead: string | undefined;
  private converged: string | undefined;

  constructor(
    private readonly kind: 'directory' | 'git',
    private readonly observe: (seconds: number) => void,
  ) {}

  read(snap: Snapshot): void {
    const isNew = this.lastRead !== undefined && snap.revision !== this.lastRead;
    this.lastRead = snap.revision;
    if (snap.changedAt === undefined || snap.revision === this.converged) return;
    if (this.awaiting?.revision === snap.revision) return;
    // a directory revision with an event time came from an edit made while watching
    if (isNew || this.kind === 'directory')
      this.awaiting = { revision: snap.revision, changedAt: snap.changedAt };
  }

  /** After a pass over `revision`: the statuses of the proxies it deploys to. */
  reconciled(revision: string, proxies: readonly (ProxyStatus | undefined)[]): void {
    const reached = proxies.filter((s) => s?.status !== 'UNREACHABLE');
    if (reached.length === 0 || !reached.every((s) => s?.status === 'SYNCED' && s.revision === revision))
      return;
    this.converged = revision;
    if (this.awaiting?.revision !== revision) return;
    this.observe(Math.max(0, Date.now() - this.awaiting.changedAt) / 1000);
    this.awaiting = undefined;
  }
}
