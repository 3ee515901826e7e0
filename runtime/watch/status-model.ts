// What a watcher reports (GET /status, `l7mp-compile status`): per proxy one of six statuses, the
// revision live on it, its last plan and its last error; for the source, the revision last read
// and, while it is rejected, its diagnostics. Plain data: the CLI renders it.
import type { Diagnostic } from '../../compiler/diagnostics/diagnostic.ts';
import type { PlanSummary } from '../reconcile/types.ts';
import type { ForcePush, SourceInfo } from '../sources/source.ts';
import type { PassReason } from './work-queue.ts';

export const PROXY_STATUSES = ['SYNCED', 'DRIFTED', 'FAILED', 'REJECTED', 'UNREACHABLE', 'HELD'] as const;
export type ProxyStatusValue = (typeof PROXY_STATUSES)[number];

/** Stable codes of the errors a watcher records (a rejected revision carries its first diagnostic's code). */
export type WatchErrorCode =
  | 'unreachable' // the proxy could not be read or changed
  | 'apply-failed' // a call failed; the proxy may be part-way (see the message)
  | 'rolled-back' // a call failed and everything done was undone
  | 'locked' // another applier holds the proxy's lock
  | 'stale' // the proxy changed between plan and apply
  | 'held' // the plan would end more live sessions than allowed
  | 'drift' // the proxy differs from its applied revision (--drift=report)
  | 'source' // the source could not be read (fetch failed, …)
  | string; // a diagnostic code (L7C…)

export interface RecordedError {
  readonly code: WatchErrorCode;
  readonly message: string;
  /** ISO time */
  readonly at: string;
}

export interface ProxyStatus {
  readonly proxy: string;
  readonly adminUrl: string;
  readonly status: ProxyStatusValue;
  /** the revision live on the proxy (the last one applied to it), as recorded on the proxy */
  readonly revision?: string;
  /** ISO time of that apply */
  readonly appliedAt?: string;
  /** the proxy's part of the last plan made for it */
  readonly plan?: PlanSummary;
  readonly error?: RecordedError;
}

export type PassOutcome = 'applied' | 'unchanged' | 'rejected' | 'held' | 'drifted' | 'failed' | 'error';

export interface PassRecord {
  readonly number: number;
  readonly reasons: readonly PassReason[];
  readonly outcome: PassOutcome;
  readonly revision?: string;
  /** ISO time the pass ended */
  readonly at: string;
  readonly durationMs: number;
}

export interface WatchStatus {
  readonly source: SourceInfo & {
    /** the revision last read */
    readonly revision?: string;
    readonly subject?: string;
    /** the last force-push seen, with when */
    readonly forcePush?: ForcePush & { readonly at: string };
    readonly error?: RecordedError;
  };
  /** the revision last applied (the last good one, kept live while a newer one is rejected or held) */
  readonly appliedRevision?: string;
  /** the source revision that does not compile, with its diagnostics (only while it is the latest) */
  readonly rejected?: { readonly revision: string; readonly diagnostics: readonly Diagnostic[] };
  /** the source revision held back by --max-disrupted-sessions (only while it is the latest) */
  readonly held?: { readonly revision: string; readonly sessionsCut: number; readonly limit: number };
  readonly lastPass?: PassRecord;
  readonly proxies: readonly ProxyStatus[];
}
