// Real proxies for the reconciler tests (drift, faults, properties): small repositories written as
// JSON documents (YAML is a superset of JSON), compiled in memory, reconciled against real, empty
// `@l7mp/l7mp` processes started by `startEmbedded`. Every helper cleans up what it starts.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compile, type CompileResult } from '../../compiler/pipeline.ts';
import { canonical } from '../../compiler/lowering/canonical.ts';
import { startEmbedded, type Embedded } from '../../runtime/embedded.ts';
import { planRepo, type Reconcilable } from '../../runtime/reconcile/plan-repo.ts';
import { applyPlan, type ApplyOptions, type ProxyApplyResult } from '../../runtime/reconcile/apply.ts';
import { ProxyClient } from '../../runtime/proxy/client.ts';
import { observe } from '../../runtime/proxy/observe.ts';
import type { LiveState, Plan, ProxyPlan } from '../../runtime/reconcile/types.ts';

/** Per test: a loaded 2-core machine starts an l7mp process in about a second, sometimes in ten. */
export const TEST_TIMEOUT = 180_000;

/** Things to undo, newest first, each at most once; errors are collected, never thrown midway. */
export class Cleanup {
  private readonly steps: (() => Promise<void> | void)[] = [];
  add(step: () => Promise<void> | void): void {
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

/** One repository file: a JSON document per object. */
export function repoYaml(docs: readonly unknown[]): string {
  return `${docs.map((d) => JSON.stringify(d)).join('\n---\n')}\n`;
}

/**
 * A local proxy. `address` is where its listeners are reached: proxies with one address may not
 * listen on one port (L7C5021), so a proxy that never runs but gets the same listeners as a live
 * one is given another loopback address.
 */
export function proxyDoc(
  name: string,
  adminPort: number,
  labels: Record<string, string> = { app: name },
  address = '127.0.0.1',
) {
  return {
    kind: 'Proxy',
    metadata: { name, labels },
    spec: { admin: { url: `http://127.0.0.1:${adminPort}` }, address },
  };
}

const utf8 = new TextEncoder();

/** Compiles a one-file repository in memory; any error diagnostic fails the test. */
export async function compileYaml(yaml: string): Promise<CompileResult> {
  const res = await compile({ files: [{ path: 'repo.yaml', bytes: utf8.encode(yaml) }] });
  const errors = res.diagnostics.filter((d) => d.severity === 'error');
  assert.deepEqual(
    errors.map((d) => `${d.code} doc ${d.document ?? '?'} ${(d.path ?? []).join('.')}: ${d.message}`),
    [],
    `the test repository does not compile:\n${yaml}`,
  );
  return res;
}

/** A repository directory on disk (for the CLI), removed by `cleanup`. */
export async function tempRepo(
  yaml: string,
  cleanup: Cleanup,
): Promise<{ dir: string; write(yaml: string): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'l7c-reconcile-'));
  cleanup.add(() => rm(dir, { recursive: true, force: true }));
  const write = (y: string) => writeFile(join(dir, 'repo.yaml'), y);
  await write(yaml);
  return { dir, write };
}

/** A scratch directory (plan files), removed by `cleanup`. */
export async function tempDir(cleanup: Cleanup): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'l7c-scratch-'));
  cleanup.add(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

// ---------------------------------------------------------------------------------------------
// Proxies

/** Starts a real, empty l7mp proxy for each named Proxy of `res` (all of them by default). */
export async function startProxies(
  res: CompileResult,
  cleanup: Cleanup,
  names?: readonly string[],
): Promise<Embedded> {
  const proxies = res.model.proxies.filter((p) => !names || names.includes(p.id.name));
  assert.equal(
    proxies.length,
    names?.length ?? proxies.length,
    `proxies ${names?.join(', ')} are in the repo`,
  );
  const emb = await startEmbedded(proxies);
  cleanup.add(() => emb.stop());
  return emb;
}

export function adminUrlOf(res: CompileResult, proxy: string): string {
  const p = res.model.proxies.find((x) => x.id.name === proxy);
  assert.ok(p, `Proxy ${proxy} is in the repo`);
  return p.admin.url.replace(/\/+$/, '');
}

/** A client of its own (its own connections), closed by `cleanup`. */
export function clientAt(adminUrl: string, cleanup: Cleanup): ProxyClient {
  const c = new ProxyClient({ adminUrl });
  cleanup.add(() => c.close());
  return c;
}

/** The proxy's state as a fresh observation sees it. */
export async function observeAt(adminUrl: string, proxy = 'test'): Promise<LiveState> {
  const client = new ProxyClient({ adminUrl });
  try {
    return await observe(client, { proxy, adminUrl });
  } finally {
    client.close();
  }
}

/** What must not change when apply refuses or rolls back: our objects, their names, zombies. */
export function stateOf(l: LiveState): {
  fingerprint: string;
  ours: string;
  theirs: string;
  zombies: string;
} {
  return {
    fingerprint: l.fingerprint,
    ours: canonical(l.ours),
    theirs: canonical(l.theirs),
    zombies: canonical([...l.zombies].sort()),
  };
}

/** On failure, show what the proxies said. */
export async function withProxyLogs<T>(
  embs: readonly (Embedded | undefined)[],
  body: () => Promise<T>,
): Promise<T> {
  try {
    return await body();
  } catch (e) {
    if (e instanceof Error)
      e.message += embs
        .flatMap((emb) => emb?.started ?? [])
        .map((s) => `\n--- proxy ${s.proxy} (pid ${s.local.pid}) ---\n${s.local.logs().slice(-3000)}`)
        .join('');
    throw e;
  }
}

// ---------------------------------------------------------------------------------------------
// Plan and apply

export const callCount = (plan: Plan) => plan.proxies.reduce((n, p) => n + p.calls.length, 0);

/** `action kind name`, one per call, for messages. */
export const describeCalls = (pp: ProxyPlan | undefined) =>
  (pp?.calls ?? []).map((c) => `${c.action} ${c.kind} ${c.name}${c.drift ? ' (drift)' : ''}`);

export function partOf(plan: Plan, proxy: string): ProxyPlan {
  const pp = plan.proxies.find((p) => p.proxy === proxy);
  assert.ok(pp, `the plan has a part for ${proxy} (unreachable: ${JSON.stringify(plan.unreachable)})`);
  return pp;
}

export interface Reconciled extends Reconcilable {
  readonly results: ProxyApplyResult[];
}

/** plan + apply, as `l7mp-compile apply --auto-approve` does. */
export async function planAndApply(
  res: CompileResult,
  opts: Partial<ApplyOptions> = {},
): Promise<Reconciled> {
  const r = await planRepo(res);
  const results = await applyPlan(r.plan, { clientFor: r.clientFor, desired: res.graphs, ...opts });
  return { ...r, results };
}

/** Asserts that every reachable proxy is applied (or unchanged) and verified. */
export function assertApplied(results: readonly ProxyApplyResult[], what: string): void {
  for (const r of results)
    assert.ok(
      (r.status === 'applied' || r.status === 'unchanged') && r.verified,
      `${what}: ${r.proxy} is ${r.status}${r.error ? `: ${r.error}` : ''}`,
    );
}

/** The next plan makes no calls. */
export async function assertNoChanges(res: CompileResult, what: string): Promise<Plan> {
  const { plan } = await planRepo(res);
  assert.deepEqual(plan.unreachable, [], `${what}: every proxy is reachable`);
  for (const pp of plan.proxies)
    assert.deepEqual(describeCalls(pp), [], `${what}: the next plan for ${pp.proxy} is empty`);
  return plan;
}

/** plan + apply, then: applied, verified, and a second plan is empty. */
export async function converge(res: CompileResult, what: string): Promise<Reconciled> {
  const r = await planAndApply(res);
  assertApplied(r.results, what);
  await assertNoChanges(res, what);
  return r;
}

/** No stack frames in a message meant for people. */
export function assertNoStack(text: string, what: string): void {
  assert.doesNotMatch(text, /\n\s+at [^\n]*[(:/]/, `${what} has a stack trace:\n${text}`);
}
