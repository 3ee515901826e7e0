// Stage 7, lower: the resolved model → one flat, fully named graph per proxy (DESIGN §3).
// Creates nothing inline; every object gets its name from lowering/naming.ts.
import type { Diagnostics } from '../diagnostics/diagnostic.ts';
import type { ProxyGraph, L7Rule } from '../model/graph.ts';
import type {
  Proxy,
  RouteRef,
  RouteSpec,
  RuleSpec,
  Target,
  TargetRef,
  VirtualService,
} from '../model/types.ts';
import { GraphBuilder } from '../lowering/graph-builder.ts';
import { names } from '../lowering/naming.ts';
import { clusterPort, TargetResolver, type ClusterDef, type Owner } from '../lowering/targets.ts';
import type { Placement } from '../lowering/placement.ts';
import type { Resolved } from './resolve.ts';

/** The cached value for `key`, made on first use. */
function memo<K extends object, V>(cache: Map<K, V>, key: K, make: () => V): V {
  let v = cache.get(key);
  if (v === undefined) cache.set(key, (v = make()));
  return v;
}

/**
 * What lowering computes the same way on every proxy, computed once: a VirtualService, Target or
 * Route usually lands on several proxies. Names hash content that does not depend on the proxy (a
 * listener's spec; a route's cluster names, fixed per reference; a rule's match, rewrite, route
 * name and applied rulelist name), so each is keyed by the source object that determines it.
 * Plain Maps, not WeakMaps: they live only as long as one `lower` call, and WeakMap inserts
 * cost more (measured: up to twice as much).
 */
interface Shared {
  /** one TargetRef per Target, so its cluster definition is computed once for all proxies */
  readonly selfRef: Map<Target, TargetRef>;
  readonly clusterNames: Map<ClusterDef, string>;
  readonly endpointNames: Map<ClusterDef, readonly string[]>;
  readonly listenerNames: Map<VirtualService, string>;
  readonly routeNames: Map<RouteSpec, string>;
  readonly ruleNames: Map<RuleSpec, string>;
}

class ProxyLowering {
  private readonly g: GraphBuilder;
  /** rulelist name by VirtualService (always the indexed object), null when it lowered empty */
  private readonly rulelists = new Map<VirtualService, string | null>();

  constructor(
    private readonly r: Resolved,
    private readonly p: Proxy,
    private readonly targets: TargetResolver,
    private readonly diags: Diagnostics,
    private readonly here: {
      readonly services: readonly VirtualService[];
      readonly targets: readonly Target[];
    },
    private readonly shared: Shared,
  ) {
    this.g = new GraphBuilder(p, diags);
  }

  run(): ProxyGraph {
    for (const vs of this.here.services) {
      const rl = this.ruleList(vs);
      if (!rl) continue;
      const l = vs.listener!;
      const name = memo(this.shared.listenerNames, vs, () =>
        names.listener(vs.id.namespace, vs.id.name, { spec: l.spec, options: l.options }),
      );
      this.g.add(
        'listeners',
        {
          name,
          spec: l.spec,
          rules: rl,
          ...(l.options ? { options: l.options } : {}),
        },
        vs,
      );
    }
    // Targets whose selector picks this proxy are deployed even when no route here uses them yet.
    for (const t of this.here.targets) {
      const ref = memo(this.shared.selfRef, t, () => ({
        ref: { name: t.id.name, namespace: t.id.namespace, text: t.id.name, at: [] },
      }));
      this.cluster(ref, t);
    }
    return this.g.build();
  }

  /** The rulelist of a VirtualService on this proxy (memoised: `apply` may point at it again). */
  private ruleList(vs: VirtualService): string | undefined {
    if (this.rulelists.has(vs)) return this.rulelists.get(vs) ?? undefined;
    const name = names.rulelist(vs.id.namespace, vs.id.name);
    this.rulelists.set(vs, name); // set first: an `apply` cycle ends here
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
      // a RuleSpec is written in one place, so its owner and (when it is lowered at all) its
      // route and apply names are the same on every proxy
      const hashed = memo(this.shared.ruleNames, rule, () => {
        const ownerName =
          owner.id.kind === 'VirtualService' && rule.name ? `${owner.id.name}.${rule.name}` : owner.id.name;
        return names.rule(owner.id.namespace, ownerName, { match: rule.match, action });
      });
      let ruleName = hashed;
      for (let k = 2; ruleNames.includes(ruleName); k++) ruleName = `${hashed}.${k}`;
      ruleNames.push(
        this.g.add('rules', { name: ruleName, ...(rule.match ? { match: rule.match } : {}), action }, owner),
      );
    }
    if (ruleNames.length === 0) {
      this.rulelists.set(vs, null);
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
    // the owner of a RouteSpec is fixed (the Route, or the rule's owner), its clusters per reference
    const name = memo(this.shared.routeNames, spec, () =>
      names.route(owner.id.namespace, owner.id.name, { destination, ingress, egress, retry: spec.retry }),
    );
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
    const name = memo(this.shared.clusterNames, def, () =>
      names.cluster(def.namespace, def.origin, {
        spec: def.spec,
        loadbalancer: def.loadbalancer,
        options: def.options,
        ...(def.named ? {} : { endpoints: def.endpoints }),
      }),
    );
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
    const epNames = memo(this.shared.endpointNames, def, () => this.endpointNames(def, name));
    def.endpoints.forEach((e, i) =>
      this.g.add(
        'endpoints',
        {
          name: epNames[i]!,
          cluster: name,
          spec: { address: e.address },
          ...(e.weight !== undefined ? { weight: e.weight } : {}),
        },
        def.owner,
      ),
    );
    return name;
  }

  /** Endpoint names of a cluster (the same on every proxy), reporting ports l7mp would ignore. */
  private endpointNames(def: ClusterDef, cluster: string): string[] {
    const port = clusterPort(def.spec);
    const used = new Set<string>();
    return def.endpoints.map((e) => {
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
      const base = names.endpoint(cluster, e.address, e.weight);
      let epName = base;
      for (let k = 2; used.has(epName); k++) epName = `${base}.${k}`;
      used.add(epName);
      return epName;
    });
  }
}

export function lower(r: Resolved, placement: Placement, diags: Diagnostics): ProxyGraph[] {
  const { resolver: targets, listeners: services, deployedTargets: deployed } = placement;
  const shared: Shared = {
    selfRef: new Map(),
    clusterNames: new Map(),
    endpointNames: new Map(),
    listenerNames: new Map(),
    routeNames: new Map(),
    ruleNames: new Map(),
  };
  return r.proxies.map((p) =>
    new ProxyLowering(
      r,
      p,
      targets,
      diags,
      { services: services.get(p)!, targets: deployed.get(p)! },
      shared,
    ).run(),
  );
}
