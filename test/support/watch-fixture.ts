// Helpers for the watch tests: repositories written as JSON documents, real l7mp proxies (one
// `startEmbedded` per proxy, so a test can restart one), a watcher started in-process with its
// status server, bounded waits, and reads of what is live. Everything started is undone by a
// Cleanup, newest first.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compile, type CompileResult } from '../../compiler/pipeline.ts';
import type { Proxy } from '../../compiler/model/types.ts';
import { startEmbedded, type Embedded } from '../../runtime/embedded.ts';
import { planRepo } from '../../runtime/reconcile/plan-repo.ts';
import { ProxyClient } from '../../runtime/proxy/client.ts';
import { readRevision, type RevisionRecord } from '../../runtime/watch/revision-marker.ts';
import { startWatch, type Watch, type WatchOptions } from '../../runtime/watch/start-watch.ts';
import type { ProxyStatus, WatchStatus } from '../../runtime/watch/status-model.ts';

/** Per test: a loaded 2-core machine starts an l7mp process in about a second, sometimes in ten. */
export const TEST_TIMEOUT = 240_000;
/** How long a watcher may take to reach a state (bounded waits, not timing assertions). */
export const SETTLE_MS = 60_000;

export class Cleanup {
  private readonly steps: (() => Promise<unknown> | unknown)[] = [];
  add(step: () => Promise<unknown> | unknown): void {
    this.steps.push(step);
  }
  async run(): Promise<void> {
    const errors: unknown[] = [];
    for (const step of this.steps.splice(0).reverse()) {
      try {
        await step();
      } catch (e) {
        errors.push(e);
      }
    }
    if (errors.length) throw new AggregateError(errors, 'cleanup failed');
  }
}

// ---------------------------------------------------------------------------------------------
// Repositories

export { proxyDoc, repoYaml } from './reconcile-fixture.ts';

/** A UDP listener on the proxies labelled `app`, routed to a UDP target (one endpoint). */
export function udpService(o: {
  name: string;
  app: string;
  port: number;
  backendPort: number;
  connect?: { address: string; port: number };
  backendAddress?: string;
}): unknown[] {
  const select = { matchLabels: { app: o.app } };
  return [
    {
      kind: 'Target',
      metadata: { name: `${o.name}-backend` },
      spec: {
        selector: select,
        cluster: {
          spec: { UDP: { port: o.backendPort } },
          endpoints: [{ spec: { address: o.backendAddress ?? '127.0.0.1' } }],
        },
      },
    },
    {
      kind: 'VirtualService',
      metadata: { name: o.name },
      spec: {
        selector: select,
        listener: {
          spec: { UDP: { port: o.port, ...(o.connect ? { connect: o.connect } : {}) } },
          rules: [{ action: { route: { destination: `${o.name}-backend` } } }],
        },
      },
    },
  ];
}

/** A file that does not compile: a VirtualService routed to a Target that does not exist. */
export const BROKEN_DOC = {
  kind: 'VirtualService',
  metadata: { name: 'broken' },
  spec: {
    selector: { matchLabels: { app: 'nobody' } },
    listener: {
      spec: { UDP: { port: 18799 } },
      rules: [{ action: { route: { destination: 'no-such-target' } } }],
    },
  },
};

const utf8 = new TextEncoder();

export async function compileText(yaml: string): Promise<CompileResult> {
  const res = await compile({ files: [{ path: 'repo.yaml', bytes: utf8.encode(yaml) }] });
  const errors = res.diagnostics.filter((d) => d.severity === 'error');
  assert.deepEqual(
    errors.map((d) => `${d.code}: ${d.message}`),
    [],
    `the test repository compiles:\n${yaml}`,
  );
  return res;
}

export async function tempDir(cleanup: Cleanup, prefix = 'l7c-watch-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  cleanup.add(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

export const writeRepo = (dir: string, yaml: string, file = 'repo.yaml') => writeFile(join(dir, file), yaml);

// ---------------------------------------------------------------------------------------------
// Proxies and the watcher

/** Starts one real, empty l7mp proxy per Proxy, each on its own (so one can be restarted). */
export async function startProxies(
  proxies: readonly Proxy[],
  cleanup: Cleanup,
): Promise<Map<string, Embedded>> {
  const out = new Map<string, Embedded>();
  for (const p of proxies) {
    const emb = await startEmbedded([p]);
    cleanup.add(() => emb.stop());
    out.set(p.id.name, emb);
  }
  return out;
}

export async function startWatcher(o: WatchOptions, cleanup: Cleanup, log: string[] = []): Promise<Watch> {
  const echo = process.env.L7C_WATCH_TEST_LOG
    ? (l: string) => process.stderr.write(`[watch] ${l}\n`)
    : undefined;
  const w = await startWatch({
    log: (l) => {
      log.push(l);
      echo?.(l);
    },
    ...o,
  });
  cleanup.add(() => w.stop());
  return w;
}

export async function getStatus(url: string): Promise<WatchStatus> {
  const res = await fetch(`${url}/status`, { signal: AbortSignal.timeout(10_000) });
  assert.equal(res.status, 200, 'GET /status answers 200');
  return (await res.json()) as WatchStatus;
}

export const proxyIn = (s: WatchStatus, name: string): ProxyStatus | undefined =>
  s.proxies.find((p) => p.proxy === name);

/** Polls `probe` until it returns a value (not undefined); fails after `timeoutMs` with the last `explain()`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  opts: { timeoutMs?: number; intervalMs?: number; explain?: () => Promise<string> | string } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? SETTLE_MS);
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      lastError = e;
    }
    if (Date.now() > deadline) {
      const why = opts.explain ? await opts.explain() : lastError instanceof Error ? lastError.message : '';
      throw new Error(`timed out waiting for: ${what}${why ? `\n${why}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
  }
}

/** Waits until /status shows `proxy` with `status` (and, if given, `revision`). */
export function waitForProxy(
  url: string,
  proxy: string,
  want: { status: ProxyStatus['status']; revision?: string },
  log: readonly string[] | (() => readonly string[]) = [],
): Promise<WatchStatus> {
  const lines = () => (typeof log === 'function' ? log() : log);
  let last: WatchStatus | undefined;
  return waitFor(
    `${proxy} ${want.status}${want.revision ? ` at ${want.revision}` : ''}`,
    async () => {
      last = await getStatus(url);
      const p = proxyIn(last, proxy);
      return p?.status === want.status && (want.revision === undefined || p.revision === want.revision)
        ? last
        : undefined;
    },
    {
      explain: () =>
        `last /status: ${JSON.stringify(last, null, 1)?.slice(0, 4000)}\nwatch log:\n${lines().slice(-30).join('\n')}`,
    },
  );
}

// ---------------------------------------------------------------------------------------------
// What is live

export async function recordOn(adminUrl: string): Promise<RevisionRecord | undefined> {
  const c = new ProxyClient({ adminUrl });
  try {
    return await readRevision(c);
  } finally {
    c.close();
  }
}

/** The calls a plan of `res` would make on `proxy` (empty: the proxy runs exactly `res`). */
export async function pendingCalls(res: CompileResult, proxy: string): Promise<string[]> {
  const { plan, clientFor } = await planRepo(res, { only: [proxy] });
  try {
    assert.deepEqual(plan.unreachable, [], `${proxy} is reachable`);
    return (plan.proxies[0]?.calls ?? []).map((c) => `${c.action} ${c.kind} ${c.name}`);
  } finally {
    clientFor(proxy).close();
  }
}

/** The proxy runs `res` exactly, and records `revision` as live; /status says the same. */
export async function assertLive(o: {
  url: string;
  proxy: string;
  adminUrl: string;
  revision: string;
  res: CompileResult;
}): Promise<void> {
  assert.deepEqual(await pendingCalls(o.res, o.proxy), [], `${o.proxy} runs revision ${o.revision}`);
  assert.equal(
    (await recordOn(o.adminUrl))?.revision,
    o.revision,
    `${o.proxy} records revision ${o.revision}`,
  );
  assert.equal(
    proxyIn(await getStatus(o.url), o.proxy)?.revision,
    o.revision,
    `/status shows ${o.proxy} at ${o.revision}`,
  );
}

// ---------------------------------------------------------------------------------------------
// Metrics

/** Prometheus text → `name{labels}` → value (label order as exposed). */
export function parseMetrics(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*(?:\{[^}]*\})?)\s+(\S+)$/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

export async function scrape(url: string): Promise<Map<string, number>> {
  const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(10_000) });
  assert.equal(res.status, 200, 'GET /metrics answers 200');
  assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
  return parseMetrics(await res.text());
}

/** Sum of every series of `name` whose labels include all of `labels`. */
export function metric(m: Map<string, number>, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const [k, v] of m) {
    const [n, rest = ''] = k.split('{');
    if (n !== name) continue;
    if (Object.entries(labels).every(([l, val]) => rest.includes(`${l}="${val}"`))) sum += v;
  }
  return sum;
}
