// Where a watcher's configuration comes from (DESIGN §5): a directory on disk or a Git branch.
// A source only reports that something may have changed (`watch`'s notify) and, when asked, hands
// over the whole configuration as it is now (`read`): the controller is level-based, so it never
// relies on what an event said, only on what the next read returns.
import type { SourceFile } from '../../compiler/host.ts';

/** The branch head moved to a commit that does not descend from the one read before. */
export interface ForcePush {
  readonly from: string;
  readonly to: string;
  /** `backwards`: the new head is an ancestor of the old one; `sideways`: neither; `unknown`: the old commit is gone */
  readonly direction: 'backwards' | 'sideways' | 'unknown';
}

export interface Snapshot {
  /** Git commit SHA, or a content hash of the directory's configuration files */
  readonly revision: string;
  readonly files: readonly SourceFile[];
  /** when this revision came to be, epoch ms: the commit time (Git) or the first file event (directory) */
  readonly changedAt?: number;
  /** set on the first read after a force-push */
  readonly forcePush?: ForcePush;
  /** the commit's subject line (Git) */
  readonly subject?: string;
}

export interface SourceInfo {
  readonly kind: 'directory' | 'git';
  /** the directory, or the Git URL / path */
  readonly location: string;
  readonly branch?: string;
}

export interface Source {
  readonly info: SourceInfo;
  /**
   * Starts watching (file events, polling); `notify` only says "look again", with the event time.
   * `health` reports a failure of the watching itself (a fetch), and `undefined` once it works again.
   */
  watch(notify: (eventAt: number) => void, health: (e: Error | undefined) => void): Promise<void>;
  /** Looks now (a webhook): fetches (Git), then notifies. */
  trigger(): Promise<void>;
  /** The whole configuration as it is now. */
  read(): Promise<Snapshot>;
  stop(): Promise<void>;
}
