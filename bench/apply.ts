// bench/apply: plan and apply against many real l7mp proxies. Starts N local proxies (`startEmbedded`
// on generated Proxy objects, admin ports 19000+), applies a repository with a few VirtualServices,
// Targets and Routes per proxy and prints the time from apply start to every proxy verified. Then,
// for single changes (each on its own proxy), prints the calls our plan makes against the calls a
// delete-and-re-add reconciler makes on the same proxy — delete every object of ours (a cluster takes
// its endpoints with it), then create every desired object (an endpoint is one call) — both counted
// from the live state observed in this run, and both executed and timed (through `applyPlan`, so
// with the same lock, fingerprint check and verification) in this run.
//   npx tsx bench/apply.ts [--proxies 50] [--per-proxy 3] [--reps 3]
import { compile, type CompileResult } from '../compiler/pipeline.ts';
import type { ProxyGraph } from '../compiler/model/graph.ts';
import { startEmbedded, type Embedded } from '../runtime/embedded.ts';
import { planRepo } from '../runtime/reconcile/plan-repo.ts';
import { applyPlan } from '../runtime/reconcile/apply.ts';
import { planProxy } from '../runtime/plan/diff.ts';
import type { LiveState, Plan } from '../runtime/reconcile/types.ts';
import type { ProxyClient } from '../runtime/proxy/client.ts';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  const v = i > 0 ? Number(process.argv[i + 1]) : dflt;
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive integer`);
  return v;
};
const PROXIES = arg('proxies', 50);
const PER = arg('per-proxy', 3);
const REPS = arg('reps', 3);
const ADMIN_BASE = 19000;
const LISTENER_BASE = 20000; // + proxy * PER + k
const MOVED_LISTENER_BASE = 25000; // + proxy
if (LISTENER_BASE + PROXIES * PER > MOVED_LISTENER_BASE || MOVED_LISTENER_BASE + PROXIES > 30000)
  throw new Error('too many proxies for the port plan');

/** What differs from the base repository, each on the proxy with the given index. */
interface Edits {
  readonly endpointAdded?: number;
  readonly ruleInserted?: number;
  readonly retryChanged?: number;
  readonly clusterChanged?: number;
  readonly listenerMoved?: number;
}

function repo(e: Edits): string {
  const docs: unknown[] = [];
  for (let p = 0; p < PROXIES; p++) {
    const sel = { matchLabels: { proxy: `p${p}` } };
    docs.push({
      kind: 'Proxy',
      metadata: { name: `proxy-${p}`, labels: { proxy: `p${p}` } },
      spec: { admin: { url: `http://127.0.0.1:${ADMIN_BASE + p}` }, address: '127.0.0.1' },
    });
    for (let k = 0; k < PER; k++) {
      const first = k === 0;
      const addresses = [`10.${k}.${p & 255}.1`, `10.${k}.${p & 255}.2`];
      if (first && e.endpointAdded === p) addresses.push(`10.${k}.${p & 255}.3`);
      docs.push({
        kind: 'Target',
        metadata: { name: `target-${p}-${k}` },
        spec: {
          selector: sel,
          cluster: {
            spec: { UDP: { port: 30000 + k + (first && e.clusterChanged === p ? 100 : 0) } },
            loadbalancer: { policy: 'ConsistentHash', key: '/IP/src_addr' },
            endpoints: addresses.map((address) => ({ spec: { address } })),
          },
        },
      });
      docs.push({
        kind: 'Route',
        metadata: { name: `route-${p}-${k}` },
        spec: {
          destination: `target-${p}-${k}`,
          retry: { retry_on: 'always', num_retries: first && e.retryChanged === p ? 5 : 3, timeout: 500 },
        },
      });
      const port = first && e.listenerMoved === p ? MOVED_LISTENER_BASE + p : LISTENER_BASE + p * PER + k;
      docs.push({
        kind: 'VirtualService',
        metadata: { name: `vs-${p}-${k}` },
        spec: {
          selector: sel,
          listener: {
            spec: { UDP: { port } },
            rules: [
              {
                match: { op: 'test', path: '/IP/src_addr', value: `10.9.${k}.1` },
                action: { route: `route-${p}-${k}` },
              },
              { action: { route: { destination: `target-${p}-${k}` } } },
            ],
          },
        },
      });
    }
    if (e.ruleInserted === p)
      docs.push({
        kind: 'Rule',
        metadata: { name: `vip-${p}` },
        spec: {
          virtualService: `vs-${p}-0`,
          position: 0,
          rule: {
            match: { op: 'test', path: '/IP/src_addr', value: '10.8.8.8' },
            action: { route: `route-${p}-0` },
          },
        },
      });
  }
  return docs.map((d) => JSON.stringify(d)).join('\n---\n');
}

async function compileRepo(e: Edits): Promise<CompileResult> {
  const res = await compile({ files: [{ path: 'bench.yaml', bytes: new TextEncoder().encode(repo(e)) }] });
  if (res.hasErrors) throw new Error(`the generated repo does not compile: ${res.diagnostics[0]?.message}`);
  return res;
}

const ms = (t0: number) => performance.now() - t0;
const fmt = (n: number) => (n >= 100 ? n.toFixed(0) : n.toFixed(1));
const calls = (plan: Plan) => plan.proxies.reduce((n, p) => n + p.calls.length, 0);
const row = (label: string, value: string) => console.log(`  ${label.padEnd(40)} ${value}`);
const EMPTY = { listeners: [], rulelists: [], rules: [], routes: [], clusters: [], endpoints: [] };

/** Delete-and-re-add on one proxy: every object of ours deleted top-down, then all created bottom-up. */
function naiveCalls(g: ProxyGraph, live: LiveState) {
  const deletes = planProxy({ ...g, ...EMPTY }, live).calls;
  const creates = planProxy(g, { ...live, ours: EMPTY, zombies: [] }).calls;
  return [...deletes, ...creates];
}

const median = (xs: readonly number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Applies a plan, fails unless it is applied and verified; returns the milliseconds it took. */
async function timedApply(
  plan: Plan,
  clientFor: (p: string) => ProxyClient,
  res: CompileResult,
  what: string,
): Promise<number> {
  const t0 = performance.now();
  const results = await applyPlan(plan, { clientFor, desired: res.graphs });
  const took = ms(t0);
  const bad = results.find((x) => x.status !== 'applied' || !x.verified);
  if (bad) throw new Error(`${what}: ${bad.proxy} ${bad.status}: ${bad.error}`);
  return took;
}

/** Makes one proxy match `res` (untimed). */
async function applyOnly(res: CompileResult, proxy: string, what: string): Promise<void> {
  const r = await planRepo(res, { only: [proxy] });
  await timedApply(r.plan, r.clientFor, res, what);
}

async function main(): Promise<void> {
  console.log(
    `bench/apply: ${PROXIES} local l7mp proxies, ${PER} VirtualServices + ${PER} Targets + ${PER} Routes each`,
  );
  let t = performance.now();
  let res = await compileRepo({});
  row('compile', `${fmt(ms(t))} ms`);
  t = performance.now();
  let emb: Embedded | undefined;
  try {
    emb = await startEmbedded(res.model.proxies);
    row(`start ${PROXIES} proxies`, `${fmt(ms(t) / 1000)} s`);

    t = performance.now();
    let r = await planRepo(res);
    row(`plan (observe ${PROXIES} proxies, diff)`, `${fmt(ms(t))} ms, ${calls(r.plan)} calls`);
    t = performance.now();
    const results = await applyPlan(r.plan, { clientFor: r.clientFor, desired: res.graphs });
    const applyMs = ms(t);
    const ok = results.filter((x) => x.status === 'applied' && x.verified).length;
    row(
      'apply, start → all verified',
      `${fmt(applyMs)} ms (${ok}/${results.length} proxies applied and verified, ${calls(r.plan)} calls, ${fmt(calls(r.plan) / (applyMs / 1000))} calls/s)`,
    );
    if (ok !== results.length)
      throw new Error(
        `not every proxy converged: ${JSON.stringify(results.filter((x) => x.status !== 'applied'))}`,
      );
    t = performance.now();
    r = await planRepo(res);
    row('plan again', `${fmt(ms(t))} ms, ${calls(r.plan)} calls`);

    const pick = (i: number) => (1 + i) % PROXIES;
    const changes: [string, keyof Edits][] = [
      ['endpoint added', 'endpointAdded'],
      ['rule inserted', 'ruleInserted'],
      ['route retry changed', 'retryChanged'],
      ['cluster spec changed', 'clusterChanged'],
      ['listener port changed', 'listenerMoved'],
    ];
    console.log(
      `\nsingle changes, each on its own proxy; naive = delete every object of ours on that proxy, then create them all\n` +
        `(times: median of ${REPS} applies, each through applyPlan: lock, fingerprint check, the calls, verification)\n` +
        `  ${'change'.padEnd(22)} ${'proxy'.padEnd(9)} ${'our calls'.padStart(9)} ${'naive'.padStart(6)} ${'ratio'.padStart(7)}   ${'our ms'.padStart(7)} ${'naive ms'.padStart(8)} ${'ratio'.padStart(6)}`,
    );
    let edits: Edits = {};
    for (const [i, [label, key]] of changes.entries()) {
      const p = pick(i);
      const proxy = `proxy-${p}`;
      const prev = res;
      edits = { ...edits, [key]: p };
      res = await compileRepo(edits);
      const g = res.graphs.find((x) => x.proxy === proxy)!;

      // Counted from one observation of every proxy: only this one changes.
      const all = await planRepo(res);
      const others = all.plan.proxies.filter((x) => x.proxy !== proxy && x.calls.length > 0);
      if (others.length)
        throw new Error(`${label}: other proxies changed too: ${others.map((x) => x.proxy).join(', ')}`);
      const n = calls(all.plan);
      const naive = naiveCalls(
        g,
        all.live.find((l) => l.proxy === proxy)!,
      ).length;

      // Ours, timed: the change applied REPS times (put back in between, untimed).
      const oursMs: number[] = [];
      for (let rep = 0; rep < REPS; rep++) {
        if (rep > 0) await applyOnly(prev, proxy, `${label}: putting it back`);
        const r = await planRepo(res, { only: [proxy] });
        if (calls(r.plan) !== n)
          throw new Error(`${label}: ${calls(r.plan)} calls on repetition ${rep}, not ${n}`);
        oursMs.push(await timedApply(r.plan, r.clientFor, res, label));
      }
      // The baseline, timed the same way on the same proxy (now at the desired state: same calls).
      const naiveMs: number[] = [];
      for (let rep = 0; rep < REPS; rep++) {
        const r = await planRepo(res, { only: [proxy] });
        const part = r.plan.proxies[0]!;
        const plan = { ...r.plan, proxies: [{ ...part, calls: naiveCalls(g, r.live[0]!) }] };
        naiveMs.push(await timedApply(plan, r.clientFor, res, `${label} (naive)`));
      }
      const [o, b] = [median(oursMs), median(naiveMs)];
      console.log(
        `  ${label.padEnd(22)} ${proxy.padEnd(9)} ${String(n).padStart(9)} ${String(naive).padStart(6)} ${`${fmt(naive / n)}x`.padStart(7)}   ${fmt(o).padStart(7)} ${fmt(b).padStart(8)} ${`${fmt(b / o)}x`.padStart(6)}`,
      );
    }
  } finally {
    t = performance.now();
    await emb?.stop();
    console.log(`stopped ${emb?.started.length ?? 0} proxies (${fmt(ms(t))} ms)`);
  }
}

main().catch((e: unknown) => {
  console.error(`bench/apply failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
