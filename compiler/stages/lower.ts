// Stage 7, lower: the resolved model → one flat, fully named graph per proxy (DESIGN §3).
// Creates nothing inline; every object gets its name from lowering/naming.ts.
import type { Diagnostics } from '../diagnostics/diagnostic.ts';
import type { ProxyGraph, L7Rule } from '../model/graph.ts';
import {
  idKey,
  type Proxy,
  type RouteRef,
  type RouteSpec,
  type Target,
  type TargetRef,
  type VirtualService,
} from '../model/types.ts';
import { GraphBuilder } from '../lowering/graph-builder.ts';
import { names } from '../lowering/naming.ts';
import { clusterPort, TargetResolver, type ClusterDef, type Owner } from '../lowering/targets.ts';
import type { Placement } from '../lowering/placement.ts';
import type { Resolved } from './resolve.ts';

class ProxyLowering {
  private readonly g: GraphBuilder;
  private readonly rulelists = new Map<string, string | null>();

  constructor(
    private readonly r: Resolved,
    private readonly p: Proxy,
    private readonly targets: TargetResolver,
    private readonly diags: Diagnostics,
    private readonly here: {
      readonly services: readonly VirtualService[];
      readonly targets: readonly Target[];
      /** one TargetRef per Target, so its cluster definition is computed once for all proxies */
      readonly selfRef: (t: Target) => TargetRef;
      /** a cluster definition's content-addressed name, hashed once for all proxies */
      readonly clusterName: (def: ClusterDef) => string;
    },
  ) {
    this.g = new GraphBuilder(p, diags);
  }

  run(): ProxyGraph {
    for (const vs of this.here.services) {
      const rl = this.ruleList(vs);
      if (!rl) continue;
      const l = vs.listener!;
      const content = { spec: l.spec, options: l.options };
      this.g.add(
        'listeners',
        {
          name: names.listener(vs.id.namespace, vs.id.name, content),
          spec: l.spec,
          rules: rl,
          ...(l.options ? { options: l.options } : {}),
        },
        vs,
      );
    }
    // Targets whose selector picks this proxy are deployed even when no route here uses them yet.
    for (const t of this.here.targets) this.cluster(this.here.selfRef(t), t);
    return this.g.build();
  }

  /** The rulelist of a VirtualService on this proxy (memoised: `apply` may point at it again). */
  private ruleList(vs: VirtualService): string | undefined {
    const key = idKey(vs.id);
    if (this.rulelists.has(key)) return this.rulelists.get(key) ?? undefined;
    const name = names.rulelist(vs.id.namespace, vs.id.name);
    this.rulelists.set(key, name); // set first: an `apply` cycle ends here
    const ruleNames: string[] = [];
    for (const placed of this.r.rulesOf(vs)) {
      const owner = placed.owner;
      const rule = placed.rule;
      const route = rule.route ? this.route(rule.route, owner) : undefined;
      if (rule.route && !route) continue;
      let apply: string | undefined;
      if (rule.apply !== undefined) {
        const [n, ns] = rule.apply.split('.');
        const target = this.r.virtualService({
          name: n!,
          namespace: ns ?? owner.id.namespace,
          text: rule.apply,
          at: [],
        });
        apply = target && this.ruleList(target);
        if (!apply) continue;
      }
      const action: L7Rule['action'] = {
        ...(route ? { route } : {}),
        ...(rule.rewrite.length ? { rewrite: rule.rewrite.map(({ path, value }) => ({ path, value })) } : {}),
        ...(apply ? { apply } : {}),
      };
      const content = { match: rule.match, action };
      const ownerName =
        owner.id.kind === 'VirtualService' && rule.name ? `${owner.id.name}.${rule.name}` : owner.id.name;
      let ruleName = names.rule(owner.id.namespace, ownerName, content);
      for (let k = 2; ruleNames.includes(ruleName); k++)
        ruleName = `${names.rule(owner.id.namespace, ownerName, content)}.${k}`;
      ruleNames.push(
        this.g.add('rules', { name: ruleName, ...(rule.match ? { match: rule.match } : {}), action }, owner),
      );
    }
    if (ruleNames.length === 0) {
      this.rulelists.set(key, null);
      return undefined;
    }
    return this.g.add('rulelists', { name, rules: ruleNames }, vs);
  }

  private route(rr: RouteRef, owner: Owner): string | undefined {
    if ('inline' in rr) return this.routeSpec(rr.inline, owner);
    const route = this.r.route(rr.ref);
    return route ? this.routeSpec(route.route, route) : undefined;
  }

  private routeSpec(spec: RouteSpec, owner: Owner): string | undefined {
    const destination = this.cluster(spec.destination, owner);
    const ingress = spec.ingress.map((t) => this.cluster(t, owner));
    const egress = spec.egress.map((t) => this.cluster(t, owner));
    if (!destination || ingress.includes(undefined) || egress.includes(undefined)) return undefined;
    const content = { destination, ingress, egress, retry: spec.retry };
    const name = names.route(owner.id.namespace, owner.id.name, content);
    return this.g.add(
      'routes',
      {
        name,
        destination,
        ingress: ingress as string[],
        egress: egress as string[],
        ...(spec.retry ? { retry: spec.retry } : {}),
      },
      owner,
    );
  }

  private cluster(t: TargetRef, owner: Owner): string | undefined {
    const def = this.targets.cluster(t, owner);
    return def && this.addCluster(def);
  }

  private addCluster(def: ClusterDef): string {
    const name = this.here.clusterName(def);
    if (this.g.has('clusters', name)) return name;
    this.g.add(
      'clusters',
      {
        name,
        spec: def.spec,
        ...(def.loadbalancer ? { loadbalancer: def.loadbalancer } : {}),
        ...(def.options ? { options: def.options } : {}),
      },
      def.owner,
    );
    const port = clusterPort(def.spec);
    const used = new Set<string>();
    def.endpoints.forEach((e) => {
      if (e.port !== undefined && port !== undefined && e.port !== port) {
        this.diags.add({
          code: 'L7C5019',
          file: def.owner.src.file,
          document: def.owner.src.document,
          path: [...def.owner.src.base, ...def.at],
          message: `endpoint ${e.address}:${e.port} differs from the cluster port ${port}; l7mp connects every endpoint of a cluster on the cluster's port`,
          hint: 'split the endpoints into targets by port',
        });
      }
      const base = names.endpoint(name, e.address, e.weight);
      let epName = base;
      for (let k = 2; used.has(epName); k++) epName = `${base}.${k}`;
      used.add(epName);
      this.g.add(
        'endpoints',
        {
          name: epName,
          cluster: name,
          spec: { address: e.address },
          ...(e.weight !== undefined ? { weight: e.weight } : {}),
        },
        def.owner,
      );
    });
    return name;
  }
}

export function lower(r: Resolved, placement: Placement, diags: Diagnostics): ProxyGraph[] {
  const { resolver: targets, listeners: services, deployedTargets: deployed } = placement;
  const refs = new Map<Target, TargetRef>();
  const selfRef = (t: Target) => {
    let ref = refs.get(t);
    if (!ref)
      refs.set(t, (ref = { ref: { name: t.id.name, namespace: t.id.namespace, text: t.id.name, at: [] } }));
    return ref;
  };
  const clusterNames = new WeakMap<ClusterDef, string>();
  const clusterName = (def: ClusterDef) => {
    let name = clusterNames.get(def);
    if (name === undefined) {
      const content = {
        spec: def.spec,
        loadbalancer: def.loadbalancer,
        options: def.options,
        ...(def.named ? {} : { endpoints: def.endpoints }),
      };
      clusterNames.set(def, (name = names.cluster(def.namespace, def.origin, content)));
    }
    return name;
  };
  return r.proxies.map((p) =>
    new ProxyLowering(r, p, targets, diags, {
      services: services.get(p)!,
      targets: deployed.get(p)!,
      selfRef,
      clusterName,
    }).run(),
  );
}
