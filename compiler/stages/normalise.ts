// Stage 4, normalise: validated RawObjects → the one-shape Model (model/types.ts). Every accepted
// alternative shape (DESIGN §1) is reduced here and forgotten afterwards.
import type { Diagnostics, PathSegment } from '../diagnostics/diagnostic.ts';
import type { RawObject } from '../model/raw.ts';
import type * as M from '../model/types.ts';
import { sortKeys } from '../lowering/canonical.ts';

type Obj = Record<string, any>;
type P = readonly PathSegment[];

export const LISTENER_PROTOCOLS = ['UDP', 'TCP', 'HTTP', 'WebSocket', 'JSONSocket', 'UnixDomainSocket'];

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Document paths (`at`) are read only for diagnostics, yet every object carries several and they
 * repeat from object to object (every VirtualService has spec.rules[0]). `sub` hands out one
 * shared array per distinct path (never mutated: paths are readonly) instead of a fresh copy per
 * object. The table hangs off the paths themselves, so it goes away with the model.
 */
const children = new WeakMap<P, Map<PathSegment, P>>();
function sub(at: P, a: PathSegment, b?: PathSegment): P {
  let kids = children.get(at);
  if (!kids) children.set(at, (kids = new Map()));
  let p = kids.get(a);
  if (!p) kids.set(a, (p = [...at, a]));
  return b === undefined ? p : sub(p, b);
}

/** `{protocol: X, ...}` or `{X: {...}}` → `{protocol: X, ...}`, transports included; keys sorted. */
export function flatSpec(v: Obj): M.FlatSpec {
  return sortKeys(flatSpecAsWritten(v));
}

/** The flat form, still sharing what it can with `v` (flatSpec's sortKeys makes the copy). */
function flatSpecAsWritten(v: Obj): M.FlatSpec {
  let out: Obj;
  if (typeof v.protocol === 'string') out = isObj(v.transport) ? { ...v } : v;
  else {
    const [protocol] = Object.keys(v);
    out = { protocol, ...(isObj(v[protocol!]) ? v[protocol!] : {}) };
  }
  if (isObj(out.transport)) out.transport = flatSpecAsWritten(out.transport);
  return out as M.FlatSpec;
}

export function parseRef(text: string, namespace: string, at: P): M.Ref {
  const dot = text.indexOf('.');
  return dot < 0
    ? { name: text, namespace, text, at }
    : { name: text.slice(0, dot), namespace: text.slice(dot + 1), text, at };
}

function selector(v: unknown, at: P): M.Selector | undefined {
  if (!isObj(v)) return undefined;
  return {
    matchLabels: isObj(v.matchLabels) ? v.matchLabels : {},
    matchExpressions: Array.isArray(v.matchExpressions)
      ? v.matchExpressions.map((r: Obj) => ({ key: r.key, operator: r.operator, values: r.values ?? [] }))
      : [],
    ...(typeof v.matchService === 'string' ? { matchService: v.matchService } : {}),
    ...(typeof v.matchNamespace === 'string' ? { matchNamespace: v.matchNamespace } : {}),
    at,
  };
}

function endpoints(v: unknown, at: P): M.Endpoint[] {
  if (!Array.isArray(v)) return [];
  return v.map((e: Obj, i): M.Endpoint => {
    const p = sub(at, i);
    if (isObj(e.selector))
      return { kind: 'selector', selector: selector(e.selector, sub(p, 'selector'))!, at: p };
    const s = isObj(e.spec) ? e.spec : e;
    return {
      kind: 'static',
      address: String(s.address ?? ''),
      ...(typeof s.port === 'number' ? { port: s.port } : {}),
      ...(typeof e.weight === 'number' ? { weight: e.weight } : {}),
      at: p,
    };
  });
}

function loadbalancer(v: unknown): M.LoadBalancer | undefined {
  if (!isObj(v)) return undefined;
  const policy = v.policy === 'HashRing' ? 'ConsistentHash' : v.policy;
  return { policy, ...(typeof v.key === 'string' ? { key: v.key } : {}) };
}

function inlineTarget(v: Obj, at: P): M.InlineTarget {
  const lb = loadbalancer(v.loadbalancer);
  return {
    spec: flatSpec(v.spec),
    endpoints: endpoints(v.endpoints, sub(at, 'endpoints')),
    ...(lb ? { loadbalancer: lb } : {}),
    ...(isObj(v.options) ? { options: sortKeys(v.options) } : {}),
    at,
  };
}

function targetRef(v: unknown, ns: string, at: P): M.TargetRef {
  return typeof v === 'string' ? { ref: parseRef(v, ns, at) } : { inline: inlineTarget(v as Obj, at) };
}

function routeSpec(v: Obj, ns: string, at: P): M.RouteSpec {
  const chain = (k: 'ingress' | 'egress') =>
    Array.isArray(v[k]) ? v[k].map((x: unknown, i: number) => targetRef(x, ns, sub(at, k, i))) : [];
  return {
    destination: targetRef(v.destination, ns, sub(at, 'destination')),
    ingress: chain('ingress'),
    egress: chain('egress'),
    ...(isObj(v.retry) ? { retry: sortKeys(v.retry) as M.Retry } : {}),
    at,
  };
}

function ruleSpec(v: Obj, ns: string, at: P): M.RuleSpec {
  const a: Obj = isObj(v.action) ? v.action : {};
  const route: M.RouteRef | undefined =
    typeof a.route === 'string'
      ? { ref: parseRef(a.route, ns, sub(at, 'action', 'route')) }
      : isObj(a.route)
        ? { inline: routeSpec(a.route, ns, sub(at, 'action', 'route')) }
        : undefined;
  return {
    ...(typeof v.name === 'string' ? { name: v.name } : {}),
    ...(isObj(v.match) ? { match: sortKeys(v.match) } : {}),
    ...(route ? { route } : {}),
    rewrite: Array.isArray(a.rewrite)
      ? a.rewrite.map((r: Obj, i: number) => ({
          path: r.path,
          value: sortKeys(r.value),
          at: sub(sub(at, 'action', 'rewrite'), i),
        }))
      : [],
    ...(typeof a.apply === 'string' ? { apply: a.apply } : {}),
    at,
  };
}

function rules(v: unknown, ns: string, at: P): M.RuleSpec[] {
  return Array.isArray(v) ? v.map((r: Obj, i) => ruleSpec(r, ns, sub(at, i))) : [];
}

function isListenerSpec(v: Obj): boolean {
  if (typeof v.protocol === 'string') return true;
  const keys = Object.keys(v);
  return keys.length === 1 && LISTENER_PROTOCOLS.includes(keys[0]!);
}

/** Path of the protocol fields of a spec as written (flat: the spec itself; keyed: under its key). */
function fieldsAt(v: Obj, at: P): P {
  return typeof v.protocol === 'string' ? at : sub(at, Object.keys(v)[0]!);
}

function listenerPaths(v: Obj, at: P): { fieldsAt: P; transportFieldsAt?: P } {
  const f = fieldsAt(v, at);
  const fields: Obj = typeof v.protocol === 'string' ? v : (v[Object.keys(v)[0]!] ?? {});
  return isObj(fields.transport)
    ? { fieldsAt: f, transportFieldsAt: fieldsAt(fields.transport, sub(f, 'transport')) }
    : { fieldsAt: f };
}

/** `at` is the path of the object's `spec` */
function virtualService(o: Obj, base: Base, at: P): M.VirtualService {
  const s: Obj = o.spec ?? {};
  const ns = base.id.namespace;
  const sel = selector(s.selector, sub(at, 'selector'));
  let listener: M.VirtualService['listener'];
  let ruleList: M.RuleSpec[] = rules(s.rules, ns, sub(at, 'rules'));
  if (isObj(s.listener)) {
    const l = s.listener;
    if (isObj(l.spec) && !isListenerSpec(l)) {
      listener = {
        ...(typeof l.name === 'string' ? { name: l.name } : {}),
        spec: flatSpec(l.spec),
        ...(isObj(l.options) ? { options: sortKeys(l.options) } : {}),
        at: sub(at, 'listener', 'spec'),
        ...listenerPaths(l.spec, sub(at, 'listener', 'spec')),
      };
      if (Array.isArray(l.rules)) ruleList = rules(l.rules, ns, sub(at, 'listener', 'rules'));
    } else {
      const { rules: _r, ...rest } = l;
      listener = {
        spec: flatSpec(rest),
        at: sub(at, 'listener'),
        ...listenerPaths(rest, sub(at, 'listener')),
      };
    }
  }
  return { ...base, ...(sel ? { selector: sel } : {}), ...(listener ? { listener } : {}), rules: ruleList };
}

/** `at` is the path of the object's `spec` */
function target(o: Obj, base: Base, at: P): M.Target {
  const s: Obj = o.spec ?? {};
  const sel = selector(s.selector, sub(at, 'selector'));
  const cluster = isObj(s.cluster)
    ? inlineTarget(s.cluster, sub(at, 'cluster'))
    : isObj(s.spec)
      ? inlineTarget(s, at)
      : undefined;
  return {
    ...base,
    ...(sel ? { selector: sel } : {}),
    ...(cluster ? { cluster } : {}),
    ...(typeof s.linkedVirtualService === 'string'
      ? {
          linkedVirtualService: parseRef(
            s.linkedVirtualService,
            base.id.namespace,
            sub(at, 'linkedVirtualService'),
          ),
        }
      : {}),
  };
}

function service(o: Obj, base: Base): M.Service {
  const s: Obj = o.spec ?? {};
  const spec = isObj(s.spec)
    ? flatSpec(s.spec)
    : flatSpec(Object.fromEntries(Object.entries(s).filter(([k]) => k !== 'endpoints')));
  const eps = Array.isArray(s.endpoints)
    ? s.endpoints.map((e: Obj) => ({
        address: String(e.address),
        ...(typeof e.port === 'number' ? { port: e.port } : {}),
      }))
    : [];
  return { ...base, spec, endpoints: eps };
}

interface Base {
  id: M.ObjectId;
  src: RawObject['src'];
  labels: Record<string, string>;
}

export function normalise(objects: readonly RawObject[], _diags: Diagnostics): M.Model {
  const at = sub([], 'spec'); // the root of this run's shared paths
  const model = { virtualServices: [], targets: [], routes: [], rules: [], proxies: [], services: [] } as {
    [K in keyof M.Model]: M.Model[K][number][];
  };
  for (const raw of objects) {
    const o = raw.value as Obj;
    const md: Obj = o.metadata ?? {};
    const base: Base = {
      id: { kind: o.kind, namespace: md.namespace ?? 'default', name: md.name },
      src: raw.src,
      labels: isObj(md.labels) ? md.labels : {},
    };
    const ns = base.id.namespace;
    const s: Obj = o.spec ?? {};
    switch (o.kind) {
      case 'VirtualService':
        model.virtualServices.push(virtualService(o, base, at));
        break;
      case 'Target':
        model.targets.push(target(o, base, at));
        break;
      case 'Route':
        model.routes.push({ ...base, route: routeSpec(s, ns, at) });
        break;
      case 'Rule':
        model.rules.push({
          ...base,
          virtualService: parseRef(s.virtualService, ns, sub(at, 'virtualService')),
          ...(typeof s.position === 'number' ? { position: s.position } : {}),
          rule: ruleSpec(s.rule ?? {}, ns, sub(at, 'rule')),
        });
        break;
      case 'Proxy':
        model.proxies.push({
          ...base,
          admin: s.admin ?? { url: '' },
          address: String(s.address ?? ''),
          services: Array.isArray(s.services) ? s.services : [],
          ...(isObj(s.offload) ? { offload: s.offload } : {}),
        });
        break;
      case 'Service':
        model.services.push(service(o, base));
        break;
    }
  }
  return model;
}
