// The controller's queue (level-based, as controller-runtime's): events never carry work, they only
// mark that a pass is due and why. One worker takes everything marked so far at once, so a burst of
// events becomes one pass, and an event during a pass becomes one more pass after it.
//
// Debounce: a `change` waits until no change was marked for `debounceMs` (at most `maxWaitMs` after
// the first one, so a never-ending stream of edits still gets passes); `resync` and `trigger` do not
// wait.
export type PassReason = 'start' | 'change' | 'trigger' | 'resync';

export interface WorkQueueOptions {
  readonly debounceMs: number;
  readonly maxWaitMs?: number;
}

export class WorkQueue {
  private readonly pending = new Set<PassReason>();
  private firstChangeAt = 0;
  private lastChangeAt = 0;
  private wake: (() => void) | undefined;
  private closed = false;

  constructor(private readonly opts: WorkQueueOptions) {}

  mark(reason: PassReason, at = Date.now()): void {
    if (this.closed) return;
    if (reason === 'change') {
      if (!this.pending.has('change')) this.firstChangeAt = at;
      this.lastChangeAt = Math.max(this.lastChangeAt, at);
    }
    this.pending.add(reason);
    this.wake?.();
  }

  get isPending(): boolean {
    return this.pending.size > 0;
  }

  /** Resolves with the reasons of the next pass, or undefined once closed. */
  async next(): Promise<Set<PassReason> | undefined> {
    for (;;) {
      if (this.closed) return undefined;
      const delay = this.delay();
      if (delay === 0) {
        const reasons = new Set(this.pending);
        this.pending.clear();
        return reasons;
      }
      await new Promise<void>((resolve) => {
        let timer: NodeJS.Timeout | undefined;
        const done = () => {
          clearTimeout(timer);
          this.wake = undefined;
          resolve();
        };
        if (delay !== undefined) timer = setTimeout(done, delay);
        this.wake = done;
      });
    }
  }

  /** 0: run now; a number: wait that long; undefined: nothing to do. */
  private delay(): number | undefined {
    if (this.pending.size === 0) return undefined;
    const onlyChange = this.pending.size === 1 && this.pending.has('change');
    if (!onlyChange) return 0;
    const now = Date.now();
    const maxWait = this.opts.maxWaitMs ?? Math.max(10 * this.opts.debounceMs, 5000);
    const until = Math.min(this.lastChangeAt + this.opts.debounceMs, this.firstChangeAt + maxWait);
    return Math.max(0, until - now);
  }

  close(): void {
    this.closed = true;
    this.wake?.();
  }
}
