// What a destination or chain entry becomes: a cluster definition (spec, endpoints, load balancer)
// following the reference-resolution order of DESIGN §1. Shared by check and lower.
import type { Diagnostics, PathSegment } from '../diagnostics/diagnostic.ts';
import {
  displayId,
  type Endpoint,
  type FlatSpec,
  type InlineTarget,
  type LoadBalancer,
  type ObjectId,
  type Service,
  type Target,
  type TargetRef,
  type VirtualService,
} from '../model/types.ts';
import type { SourceRef } from '../model/raw.ts';
import type { Resolved } from '../stages/resolve.ts';

export interface Owner {
  readonly id: ObjectId;
  readonly src: SourceRef;
}

export interface ClusterDef {
  /** namespace and readable part of the l7mp name */
  readonly namespace: string;
  readonly origin: string;
  /** named targets keep endpoints out of the content hash (edited in place); inline ones include them */
  readonly named: boolean;
  readonly spec: FlatSpec;
  readonly endpoints: readonly { address: string; port?: number; weight?: number }[];
  readonly loadbalancer?: LoadBalancer;
  readonly options?: Readonly<Record<string, unknown>>;
  /** where to point diagnostics about it */
  readonly owner: Owner;
  readonly at: readonly PathSegment[];
}

export const VIRTUAL_CLUSTERS = [
  'Echo',
  'Discard',
  'Logger',
  'JSONEncap',
  'JSONDecap',
  'Sync',
  'Metric',
  'Stdio',
  'Prometheus',
];
export const DATAGRAM = ['UDP', 'WebSocket', 'JSONSocket'];
export const BYTESTREAM = ['TCP', 'UnixDomainSocket'];

/** The cluster that calls a listener: same protocol and port; JSONSocket keeps its transport. */
export function clusterSpecForListener(spec: FlatSpec): FlatSpec | undefined {
  switch (spec.protocol) {
    case 'UDP':
    case 'TCP':
    case 'WebSocket':
      return { protocol: spec.protocol, port: spec.port };
    case 'UnixDomainSocket':
      return { protocol: 'UnixDomainSocket' };
    case 'JSONSocket': {
      const t = clusterSpecForListener(spec.transport as FlatSpec);
      return t ? { protocol: 'JSONSocket', transport: t } : undefined;
    }
    default:
      return undefined;
  }
}

export function clusterPort(spec: FlatSpec): number | undefined {
  if (typeof spec.port === 'number') return spec.port;
  const t = spec.transport as FlatSpec | undefined;
  return t ? clusterPort(t) : undefined;
}

export class TargetResolver {
  constructor(
    private readonly r: Resolved,
    private readonly diags: Diagnostics,
  ) {}

  private report(
    owner: Owner,
    at: readonly PathSegment[],
    code: 'L7C4008' | 'L7C5009',
    message: string,
    hint?: string,
  ) {
    this.diags.add({
      code,
      file: owner.src.file,
      document: owner.src.document,
      path: [...owner.src.base, ...at],
      message,
      ...(hint ? { hint } : {}),
    });
  }

  private expand(eps: readonly Endpoint[]): ClusterDef['endpoints'] {
    // a plain loop: flatMap with a one-element array per static endpoint was a hot allocation
    const out: { address: string; port?: number; weight?: number }[] = [];
    for (const e of eps) {
      if (e.kind === 'static') {
        out.push({
          address: e.address,
          ...(e.port !== undefined ? { port: e.port } : {}),
          ...(e.weight !== undefined ? { weight: e.weight } : {}),
        });
        continue;
      }
      for (const p of this.r.selectedProxies(e.selector)) out.push({ address: p.address });
      for (const s of this.r.selectedServices(e.selector)) for (const x of s.endpoints) out.push(x);
    }
    return out;
  }

  private fromInline(t: InlineTarget, owner: Owner, origin: string, named: boolean): ClusterDef {
    return {
      namespace: owner.id.namespace,
      origin,
      named,
      spec: t.spec,
      endpoints: this.expand(t.endpoints),
      ...(t.loadbalancer ? { loadbalancer: t.loadbalancer } : {}),
      ...(t.options ? { options: t.options } : {}),
      owner,
      at: t.at,
    };
  }

  private fromService(s: Service, owner: Owner, at: readonly PathSegment[]): ClusterDef | undefined {
    const base = clusterSpecForListener(s.spec);
    if (!base) {
      this.report(
        owner,
        at,
        'L7C5009',
        `service "${displayId(s.id)}" speaks ${s.spec.protocol}, which l7mp cannot call as a cluster`,
      );
      return undefined;
    }
    const port = clusterPort(base) ?? s.endpoints.find((e) => e.port !== undefined)?.port;
    const spec = base.protocol === 'UnixDomainSocket' || port === undefined ? base : withPort(base, port);
    return {
      namespace: s.id.namespace,
      origin: s.id.name,
      named: true,
      spec,
      endpoints: s.endpoints,
      owner: s,
      at: ['spec'],
    };
  }

  private fromVirtualService(
    vs: VirtualService,
    owner: Owner,
    at: readonly PathSegment[],
    origin: string,
  ): ClusterDef | undefined {
    if (!vs.listener) {
      const services = this.r.selectedServices(vs.selector);
      if (services.length > 0) {
        const defs = services.map((s) => this.fromService(s, owner, at)).filter((d) => d !== undefined);
        if (defs.length === 0) return undefined;
        return { ...defs[0]!, origin, endpoints: defs.flatMap((d) => d.endpoints), owner: vs, at: ['spec'] };
      }
      this.report(
        owner,
        at,
        'L7C4008',
        `virtual service "${displayId(vs.id)}" has no listener and selects no service, so it has no protocol, port or address to call`,
        'give it a spec.listener, or a selector that picks a Service',
      );
      return undefined;
    }
    const spec = clusterSpecForListener(vs.listener.spec);
    if (!spec) {
      this.report(
        owner,
        at,
        'L7C5009',
        `virtual service "${displayId(vs.id)}" listens on ${vs.listener.spec.protocol}, which l7mp cannot call as a cluster`,
        'route to it over TCP or WebSocket instead',
      );
      return undefined;
    }
    const endpoints =
      vs.listener.spec.protocol === 'UnixDomainSocket'
        ? [{ address: String(vs.listener.spec.filename) }]
        : [
            ...this.r.selectedProxies(vs.selector).map((p) => ({ address: p.address })),
            ...this.r.selectedServices(vs.selector).flatMap((s) => s.endpoints),
          ];
    return {
      namespace: vs.id.namespace,
      origin,
      named: true,
      spec,
      endpoints,
      owner: vs,
      at: ['spec', 'listener'],
    };
  }

  // a Map, not a WeakMap (whose inserts cost more): the refs live as long as the compile anyway
  private readonly cache = new Map<TargetRef, ClusterDef | undefined>();

  /**
   * undefined when the reference is dangling (already reported by resolve) or cannot be a cluster.
   * A TargetRef is written in one place, so its owner is fixed: the result is cached per ref and
   * shared by every proxy the ref is lowered on.
   */
  cluster(t: TargetRef, owner: Owner): ClusterDef | undefined {
    let def = this.cache.get(t);
    if (def === undefined && !this.cache.has(t)) this.cache.set(t, (def = this.compute(t, owner)));
    return def;
  }

  /**
   * A Target's definition does not depend on who refers to it (its diagnostics point at the Target
   * itself): made once per Target, so every route to it and its own deployment share one
   * definition, and lowering hashes its cluster name once.
   */
  private readonly byTarget = new Map<Target, ClusterDef | undefined>();

  /** The cluster definition of a Target object (undefined when it has none to offer). */
  ofTarget(tg: Target): ClusterDef | undefined {
    let def = this.byTarget.get(tg);
    if (def === undefined && !this.byTarget.has(tg)) this.byTarget.set(tg, (def = this.fromTarget(tg)));
    return def;
  }

  private fromTarget(tg: Target): ClusterDef | undefined {
    if (tg.cluster) return this.fromInline(tg.cluster, tg, tg.id.name, true);
    const vs = tg.linkedVirtualService && this.r.virtualService(tg.linkedVirtualService);
    return vs ? this.fromVirtualService(vs, tg, ['spec', 'linkedVirtualService'], tg.id.name) : undefined;
  }

  private compute(t: TargetRef, owner: Owner): ClusterDef | undefined {
    if ('inline' in t) return this.fromInline(t.inline, owner, owner.id.name, false);
    const src = this.r.target(t.ref);
    if (!src) return undefined;
    switch (src.kind) {
      case 'target':
        return this.ofTarget(src.target);
      case 'vs':
        return this.fromVirtualService(src.vs, owner, t.ref.at, src.vs.id.name);
      case 'service':
        return this.fromService(src.service, owner, t.ref.at);
    }
  }
}

function withPort(spec: FlatSpec, port: number): FlatSpec {
  if (spec.protocol === 'JSONSocket')
    return { ...spec, transport: withPort(spec.transport as FlatSpec, port) };
  return { ...spec, port };
}
