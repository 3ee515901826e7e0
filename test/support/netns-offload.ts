// The offload example (examples/offload) on a namespace topology: compile it, derive its entries
// against the proxy namespace's real interfaces, build and load the program there.
import assert from 'node:assert/strict';
import { compileRepo } from '../../runtime/compile-repo.ts';
import type { ProxyGraph } from '../../compiler/model/graph.ts';
import { deriveOffload } from '../../offload/derive.ts';
import { listIfaces } from '../../offload/ifaces.ts';
import { buildProgram } from '../../offload/build.ts';
import { ensureLoaded, type Datapath } from '../../offload/sync.ts';
import type { DeriveResult } from '../../offload/model.ts';
import { exampleDir } from './examples.ts';
import type { Topology } from './netns.ts';

export const OFFLOAD_EXAMPLE = exampleDir('offload');

/** The example's two calls, as the client and server see them. */
export const CALLS = [
  { name: 'call-a', clientPort: 4000, listenerPort: 5000, bindPort: 6000, serverPort: 7000 },
  { name: 'call-b', clientPort: 4001, listenerPort: 5001, bindPort: 6001, serverPort: 7001 },
] as const;

export async function compileGraph(dir = OFFLOAD_EXAMPLE, proxy = 'edge'): Promise<ProxyGraph> {
  const res = await compileRepo(dir);
  const errors = res.diagnostics.filter((d) => d.severity === 'error');
  assert.deepEqual(
    errors.map((d) => `${d.code} ${d.file}: ${d.message}`),
    [],
    `${dir} must compile`,
  );
  const g = res.graphs.find((x) => x.proxy === proxy);
  assert.ok(g, `proxy ${proxy} in ${dir}`);
  return g;
}

export async function deriveIn(topo: Topology, graph: ProxyGraph): Promise<DeriveResult> {
  return deriveOffload(graph, await listIfaces(topo.ns.prx));
}

/** Builds the program if needed and loads it on both proxy-namespace veths. */
export async function loadIn(topo: Topology, objectPath?: string): Promise<Datapath> {
  const { path } = await buildProgram();
  return ensureLoaded({
    netns: topo.ns.prx,
    ifaces: [topo.dev.p1, topo.dev.p2],
    pinDir: topo.pinDir,
    objectPath: objectPath ?? path,
  });
}
