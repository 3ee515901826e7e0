// The watch controller (DESIGN §5), level-based like controller-runtime: file events, polls and
// webhooks only mark work pending (work-queue.ts); one worker runs passes, never two at once, and
// each pass starts from scratch: read the whole source → compile → if it has errors, apply nothing,
// keep the last good revision live and record the diagnostics; else reconcile the revision
// (reconcile-revision.ts: plan, hold, apply, record per proxy). A periodic pass does the same, which
// corrects drift and repairs a proxy that restarted empty; while the source is rejected it
// re-plans the last good revision instead.
import { hostname } from 'node:os';
import type { CompileResult } from '../../compiler/pipeline.ts';
import type { Diagnostic } from '../../compiler/diagnostics/diagnostic.ts';
import { compileFiles } from '../sources/compile-snapshot.ts';
import type { Snapshot, Source } from '../sources/source.ts';
import { WatchMetrics } from './metrics.ts';
import { reconcileRevision, type Desired, type ReconcileResult } from './reconcile-revision.ts';
import { WorkQueue, type PassReason } from './work-queue.ts';
import { ProxyStatuses } from './proxy-statuses.ts';
import { ConvergenceTimer } from './convergence-timer.ts';
import { describeResult, outcomeOf } from './pass-outcome.ts';
import { shortRevision as short } from './short-revision.ts';
import type { PassOutcome, PassRecord, RecordedError, WatchStatus } from './status-model.ts';

export interface ControllerOptions {
  readonly source: Source;
  readonly debounceMs: number;
  /** 0: no periodic pass */
  readonly resyncMs: number;
  readonly drift: 'correct' | 'report';
  readonly maxDisruptedSessions?: number;
  /** per REST call to a proxy */
  readonly proxyTimeoutMs?: number;
  readonly concurrency?: number;
  /** false: leave the kernel offload alone (`--no-offload`) */
  readonly offload?: boolean;
  readonly log?: (line: string) => void;
}

const now = () => new Date().toISOString();

export class Controller {
  readonly metrics = new WatchMetrics();
  private readonly queue: WorkQueue;
  private readonly log: (line: string) => void;
  private readonly holder = `l7mp-compile-watch@${hostname()}:${process.pid}`;
  private readonly proxies: ProxyStatuses;
  private readonly convergence: ConvergenceTimer;
  private resyncTimer: NodeJS.Timeout | undefined;
  private loop: Promise<void> | undefined;
  private passCount = 0;

  private source: WatchStatus['source'];
  private sourceErrorFrom: 'fetch' | 'read' | undefined;
  /** the last revision that compiled and was not held: what stays live while a newer one is rejected */
  private lastGood: Desired | undefined;
  private compiled: Desired | undefined;
  private rejected: WatchStatus['rejected'];
  private held: WatchStatus['held'];
  private lastPass: PassRecord | undefined;

  constructor(private readonly opts: ControllerOptions) {
    this.queue = new WorkQueue({ debounceMs: opts.debounceMs });
    this.log = opts.log ?? (() => {});
    this.source = { ...opts.source.info };
    this.proxies = new ProxyStatuses(this.metrics, this.log);
    this.convergence = new ConvergenceTimer(opts.source.info.kind, (s) =>
      this.metrics.commitToConverged.observe(s),
    );
  }

  async start(): Promise<void> {
    await this.opts.source.watch(
      (at) => this.queue.mark('change', at),
      (e) => (e ? this.sourceFailed(e, 'fetch') : this.sourceHealthy('fetch')),
    );
    this.queue.mark('start');
    if (this.opts.resyncMs > 0)
      this.resyncTimer = setInterval(() => this.queue.mark('resync'), this.opts.resyncMs);
    this.loop = this.run();
  }

  /** The webhook: look at the source now (a Git fetch), then pass without waiting for the debounce. */
  async trigger(): Promise<void> {
    try {
      await this.opts.source.trigger();
      this.sourceHealthy('fetch');
    } catch (e) {
      this.sourceFailed(e, 'fetch');
      throw e;
    }
    this.queue.mark('trigger');
  }

  /** Stops after the current pass. */
  async stop(): Promise<void> {
    clearInterval(this.resyncTimer);
    this.queue.close();
    await this.loop;
    await this.opts.source.stop();
  }

  get passes(): number {
    return this.passCount;
  }

  status(): WatchStatus {
    return {
      source: this.source,
      ...(this.lastGood ? { appliedRevision: this.lastGood.revision } : {}),
      ...(this.rejected ? { rejected: this.rejected } : {}),
      ...(this.held ? { held: this.held } : {}),
      ...(this.lastPass ? { lastPass: this.lastPass } : {}),
      proxies: this.proxies.list(),
    };
  }

  private async run(): Promise<void> {
    for (;;) {
      const reasons = await this.queue.next();
      if (!reasons) return;
      await this.pass(reasons);
    }
  }

  // -------------------------------------------------------------------------------------------
  // One pass

  private async pass(reasons: Set<PassReason>): Promise<void> {
    const t0 = performance.now();
    const number = ++this.passCount;
    let outcome: PassOutcome = 'error';
    let revision: string | undefined;
    let detail = '';
    try {
      const snap = await this.read();
      if (snap) {
        revision = snap.revision;
        ({ outcome, detail } = await this.passOver(snap, reasons));
      } else {
        detail = `cannot read the source: ${this.source.error?.message ?? 'unknown error'}`;
      }
    } catch (e) {
      // a bug, not bad input: the pass is counted as an error and the next one starts afresh
      detail = `internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`;
    }
    const durationMs = performance.now() - t0;
    this.metrics.countPass(outcome, durationMs / 1000);
    const prev = this.lastPass;
    this.lastPass = {
      number,
      reasons: [...reasons],
      outcome,
      ...(revision ? { revision } : {}),
      at: now(),
      durationMs: Math.round(durationMs),
    };
    // a periodic pass that found what the previous pass found is not worth a line
    const repeat = prev?.outcome === outcome && prev.revision === revision && outcome !== 'applied';
    if (repeat && [...reasons].every((r) => r === 'resync')) return;
    const why = [...reasons].join(', ');
    this.log(
      `pass ${number} (${why}) revision ${short(revision)}: ${outcome}${detail ? ` — ${detail}` : ''} (${Math.round(durationMs)} ms)`,
    );
  }

  /** The whole source, or undefined when it cannot be read (recorded as a source error). */
  private async read(): Promise<Snapshot | undefined> {
    let snap: Snapshot;
    try {
      snap = await this.opts.source.read();
    } catch (e) {
      this.sourceFailed(e, 'read');
      return undefined;
    }
    this.sourceHealthy('read');
    const { forcePush: f, subject } = snap;
    this.source = { ...this.source, revision: snap.revision, ...(subject !== undefined ? { subject } : {}) };
    if (f) {
      this.source = { ...this.source, forcePush: { ...f, at: now() } };
      this.log(
        `force-push on ${this.source.branch ?? 'the source'}: ${short(f.from)} → ${short(f.to)} (${f.direction}: the new head does not descend from the old one); applying ${short(f.to)}`,
      );
    }
    this.convergence.read(snap);
    return snap;
  }

  /** compile → rejected (the last good revision stays live) or reconcile this revision */
  private async passOver(
    snap: Snapshot,
    reasons: Set<PassReason>,
  ): Promise<{ outcome: PassOutcome; detail: string }> {
    const res = await this.compile(snap);
    if (res.hasErrors) {
      const detail = this.reject(snap.revision, res.diagnostics);
      const error = this.rejectedError();
      if (reasons.has('resync') && this.lastGood) {
        // drift and restarted proxies are still repaired, to the last good revision
        this.proxies.record(await this.reconcile(this.lastGood), this.lastGood.revision, error);
      } else {
        this.proxies.markRejected(res.model.proxies, error);
      }
      return { outcome: 'rejected', detail };
    }
    this.rejected = undefined;
    const want = { revision: snap.revision, res };
    const r = await this.reconcile(want);
    this.held = r.held ? { revision: snap.revision, ...r.held } : undefined;
    if (!r.held) this.lastGood = want;
    this.proxies.record(r, snap.revision);
    this.convergence.reconciled(
      snap.revision,
      res.graphs.map((g) => this.proxies.get(g.proxy)),
    );
    return { outcome: outcomeOf(r), detail: describeResult(r) };
  }

  private async compile(snap: Snapshot): Promise<CompileResult> {
    if (this.compiled?.revision !== snap.revision)
      this.compiled = { revision: snap.revision, res: await compileFiles(snap.files) };
    return this.compiled.res;
  }

  private reconcile(want: Desired): Promise<ReconcileResult> {
    const o = this.opts;
    return reconcileRevision(want, {
      drift: o.drift,
      holder: this.holder,
      metrics: this.metrics,
      ...(o.maxDisruptedSessions !== undefined ? { maxDisruptedSessions: o.maxDisruptedSessions } : {}),
      ...(o.proxyTimeoutMs ? { timeoutMs: o.proxyTimeoutMs } : {}),
      ...(o.concurrency ? { concurrency: o.concurrency } : {}),
      ...(o.offload === false ? { offload: false } : {}),
    });
  }

  // -------------------------------------------------------------------------------------------
  // Rejected revisions and source errors

  private reject(revision: string, diagnostics: readonly Diagnostic[]): string {
    const errors = diagnostics.filter((d) => d.severity === 'error');
    this.rejected = { revision, diagnostics };
    this.held = undefined;
    const first = errors[0];
    const pos = first?.span ? `:${first.span.start.line}:${first.span.start.column}` : '';
    const where = first?.file ? `${first.file}${pos}: ` : '';
    return `${errors.length} error(s), first ${first?.code ?? '?'} ${where}${first?.message ?? ''}; nothing applied, the last good revision ${short(this.lastGood?.revision)} stays live`;
  }

  private rejectedError(): RecordedError | undefined {
    const first = this.rejected?.diagnostics.find((d) => d.severity === 'error');
    if (!this.rejected || !first) return undefined;
    return {
      code: first.code,
      message: `revision ${this.rejected.revision} rejected: ${first.message}`,
      at: now(),
    };
  }

  /** A failed fetch (watching, webhook) or read (a pass); logged when it differs from the last one. */
  private sourceFailed(e: unknown, from: 'fetch' | 'read'): void {
    const message = e instanceof Error ? e.message : String(e);
    if (this.source.error?.message !== message) this.log(`source: ${message}`);
    this.source = { ...this.source, error: { code: 'source', message, at: now() } };
    this.sourceErrorFrom = from;
    this.metrics.failures.inc({ proxy: '', code: 'source' });
  }

  private sourceHealthy(from: 'fetch' | 'read'): void {
    if (!this.source.error || this.sourceErrorFrom !== from) return;
    const { error: _e, ...rest } = this.source;
    this.source = rest;
    this.log(`source: ${from === 'fetch' ? 'fetching' : 'reading'} works again`);
  }
}
