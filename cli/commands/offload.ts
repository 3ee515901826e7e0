// `l7mp-compile offload plan|apply|status|unload`: the kernel offload of fully specified UDP paths
// (DESIGN §6, docs/offload.md). plan/apply compile DIR, derive the entries of one proxy against the
// interfaces of its network namespace, and diff them against the live maps; apply loads and
// attaches the tc program and writes only the difference. Needs root (CAP_BPF + CAP_NET_ADMIN).
// Exit: 0 ok, 1 error (configuration errors, missing privileges, capacity, a failed write).
import type { Command } from 'commander';
import { compileRepo } from '../../runtime/compile-repo.ts';
import { renderDiagnostics } from '../render/diagnostics.ts';
import { deriveOffload } from '../../offload/derive.ts';
import { planSync } from '../../offload/diff.ts';
import { listIfaces } from '../../offload/ifaces.ts';
import { buildProgram } from '../../offload/build.ts';
import { MAX_ENTRIES } from '../../offload/layout.ts';
import { OffloadError, assertPrivileges } from '../../offload/exec.ts';
import { assertNetns, mapInfo } from '../../offload/load.ts';
import { datapathRef, dumpOrEmpty, ensureLoaded, stats, syncEntries, unload } from '../../offload/sync.ts';
import { renderPlanJson, renderPlanText, renderStatusJson, renderStatusText } from '../../offload/render.ts';
import type { DeriveResult, Iface } from '../../offload/model.ts';
import type { ProxyGraph } from '../../compiler/model/graph.ts';
import type { Io } from './common.ts';

interface CommonOpts {
  netns?: string;
  pinDir?: string;
  json: boolean;
}
interface PlanOpts extends CommonOpts {
  proxy: string;
}

/** Compiles DIR and derives the proxy's entries; undefined (after reporting) on errors. */
async function derive(
  dir: string,
  opts: PlanOpts,
  io: Io,
  cmd: string,
): Promise<{ graph: ProxyGraph; ifaces: Iface[]; derived: DeriveResult; target: CommonOpts } | undefined> {
  const res = await compileRepo(dir);
  if (res.hasErrors) {
    io.err(
      renderDiagnostics('text', res.diagnostics, { sources: (f) => res.sources.get(f), color: io.color }),
    );
    io.err(`offload ${cmd}: the configuration has errors; nothing was planned\n`);
    return undefined;
  }
  const graph = res.graphs.find((g) => g.proxy === opts.proxy || `${g.proxy}.${g.namespace}` === opts.proxy);
  if (!graph) {
    io.err(
      `offload ${cmd}: no proxy "${opts.proxy}" in ${dir} (proxies: ${res.graphs.map((g) => g.proxy).join(', ') || 'none'})\n`,
    );
    return undefined;
  }
  // --netns / --pin-dir, else the proxy's own `spec.offload`
  const own = res.model.proxies.find(
    (p) => p.id.name === graph.proxy && p.id.namespace === graph.namespace,
  )?.offload;
  const target: CommonOpts = {
    ...opts,
    ...(opts.netns === undefined && own?.netns ? { netns: own.netns } : {}),
    ...(opts.pinDir === undefined && own?.pinDir ? { pinDir: own.pinDir } : {}),
  };
  assertPrivileges(target);
  assertNetns(target.netns);
  const ifaces = await listIfaces(target.netns);
  const derived = deriveOffload(graph, ifaces);
  if (derived.error) {
    io.err(`offload ${cmd}: ${derived.error.message}\n`);
    return undefined;
  }
  return { graph, ifaces, derived, target };
}

/** Runs an action; OffloadErrors (privileges, tools, capacity, …) become one line and exit 1. */
function guarded(io: Io, cmd: string, body: () => Promise<number>): () => Promise<void> {
  return async () => {
    try {
      io.exit(await body());
    } catch (e) {
      if (!(e instanceof OffloadError)) throw e;
      io.err(`offload ${cmd}: ${e.message}\n`);
      io.exit(1);
    }
  };
}

const refOf = (o: CommonOpts) =>
  datapathRef({ ...(o.netns ? { netns: o.netns } : {}), ...(o.pinDir ? { pinDir: o.pinDir } : {}) });

export function registerOffload(program: Command, io: Io): void {
  const group = program
    .command('offload')
    .description('kernel offload (tc-bpf) of fully specified UDP paths: plan, apply, status, unload');

  const withTarget = (c: Command) =>
    c
      .option(
        '--netns <name>',
        'the network namespace the proxy runs in (/run/netns/NAME); default: this one',
      )
      .option(
        '--pin-dir <dir>',
        'where the program and maps are pinned; default /sys/fs/bpf/l7mp-compile/<netns>',
      )
      .option('--json', 'print JSON', false);

  withTarget(
    group
      .command('plan')
      .description('show the entries to add, change and remove, and why every other route stays in userspace')
      .argument('[dir]', 'repository directory', '.')
      .requiredOption('-p, --proxy <name>', 'the proxy (name or name.namespace)'),
  ).action((dir: string, opts: PlanOpts) =>
    guarded(io, 'plan', async () => {
      const d = await derive(dir, opts, io, 'plan');
      if (!d) return 1;
      const ref = refOf(d.target);
      const live = await dumpOrEmpty(ref);
      const capacity = live.loaded ? (await mapInfo(ref.maps.rules)).max_entries : MAX_ENTRIES;
      const plan = planSync(d.derived.entries, live, capacity);
      if (plan.error) {
        io.err(`offload plan: ${plan.error.message}\n`);
        return 1;
      }
      const view = {
        proxy: d.graph.proxy,
        ...(d.target.netns ? { netns: d.target.netns } : {}),
        loaded: live.loaded,
        capacity,
        plan,
        notOffloaded: d.derived.notOffloaded,
        ifaces: d.ifaces,
      };
      io.out(opts.json ? renderPlanJson(view) : renderPlanText(view));
      return 0;
    })(),
  );

  withTarget(
    group
      .command('apply')
      .description('load and attach the tc program if needed, then write only the changed entries')
      .argument('[dir]', 'repository directory', '.')
      .requiredOption('-p, --proxy <name>', 'the proxy (name or name.namespace)'),
  ).action((dir: string, opts: PlanOpts) =>
    guarded(io, 'apply', async () => {
      const d = await derive(dir, opts, io, 'apply');
      if (!d) return 1;
      const { path } = await buildProgram();
      const ifaces = [...new Set(d.derived.entries.map((e) => e.in.name))];
      const dp = await ensureLoaded({
        ...(d.target.netns ? { netns: d.target.netns } : {}),
        ...(d.target.pinDir ? { pinDir: d.target.pinDir } : {}),
        ifaces,
        objectPath: path,
      });
      const res = await syncEntries(dp, d.derived.entries);
      const view = {
        proxy: d.graph.proxy,
        ...(d.target.netns ? { netns: d.target.netns } : {}),
        loaded: true,
        capacity: dp.maxEntries,
        plan: res.plan,
        notOffloaded: d.derived.notOffloaded,
        ifaces: d.ifaces,
        applied: true,
      };
      if (!opts.json) {
        if (dp.program !== 'unchanged') io.err(`offload apply: program ${dp.program} (id ${dp.progId})\n`);
        for (const a of dp.attached.filter((x) => x.action !== 'unchanged'))
          io.err(`offload apply: ${a.action} on ${a.iface} ingress\n`);
      }
      io.out(opts.json ? renderPlanJson(view) : renderPlanText(view));
      return 0;
    })(),
  );

  withTarget(
    group
      .command('status')
      .description(
        'the live entries with their packet and byte counters; with --proxy, also why every other route stays in userspace',
      )
      .argument('[dir]', 'repository directory (with --proxy)', '.')
      .option('-p, --proxy <name>', 'also list the routes of this proxy that are not offloaded, and why'),
  ).action((dir: string, opts: CommonOpts & { proxy?: string }) =>
    guarded(io, 'status', async () => {
      let target: CommonOpts = opts;
      let notOffloaded: DeriveResult['notOffloaded'] | undefined;
      if (opts.proxy) {
        const d = await derive(dir, { ...opts, proxy: opts.proxy }, io, 'status');
        if (!d) return 1;
        ({ target } = d);
        notOffloaded = d.derived.notOffloaded;
      }
      assertNetns(target.netns);
      const entries = await stats(refOf(target));
      const view = {
        ...(target.netns ? { netns: target.netns } : {}),
        entries,
        ifaces: await listIfaces(target.netns),
        nowNs: process.hrtime.bigint(),
        ...(notOffloaded ? { notOffloaded } : {}),
      };
      io.out(opts.json ? renderStatusJson(view) : renderStatusText(view));
      return 0;
    })(),
  );

  withTarget(
    group
      .command('unload')
      .description(
        'detach the program and remove its pinned maps: all traffic goes back to the userspace proxy',
      ),
  ).action((opts: CommonOpts) =>
    guarded(io, 'unload', async () => {
      const r = await unload({
        ...(opts.netns ? { netns: opts.netns } : {}),
        ...(opts.pinDir ? { pinDir: opts.pinDir } : {}),
      });
      io.err(`offload unload: detached from ${r.detached.length ? r.detached.join(', ') : 'no interface'}\n`);
      return 0;
    })(),
  );
}
