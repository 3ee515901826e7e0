// Stage 5, resolve: names → typed links. Builds the indexes, reports duplicate names and every
// dangling reference (all of them, not the first), evaluates selectors, and merges Rule objects
// into the rule lists of their VirtualServices.
import type { Diagnostics } from '../diagnostics/diagnostic.ts';
import { didYouMean } from '../diagnostics/suggest.ts';
import { selects, type Selectable } from '../model/selectors.ts';
import {
  displayId,
  idKey,
  type Model,
  type ObjectId,
  type Proxy,
  type Ref,
  type RouteRef,
  type RuleSpec,
  type Route,
  type Selector,
  type Service,
  type Target,
  type TargetRef,
  type VirtualService,
} from '../model/types.ts';
import type { SourceRef } from '../model/raw.ts';
import { canonical } from '../lowering/canonical.ts';

/** What a destination/chain string resolved to, in DESIGN §1 order. */
export type TargetSource =
  | { readonly kind: 'target'; readonly target: Target }
  | { readonly kind: 'vs'; readonly vs: VirtualService }
  | { readonly kind: 'service'; readonly service: Service };

/** A rule in a VirtualService's merged rule list, with the object it came from. */
export interface PlacedRule {
  readonly rule: RuleSpec;
  /** the VirtualService (inline rule) or Rule object that wrote it */
  readonly owner: { readonly id: ObjectId; readonly src: SourceRef };
}

export interface Resolved {
  readonly model: Model;
  readonly proxies: readonly Proxy[];
  /** the first definition of each VirtualService name (duplicates are reported and left out) */
  readonly virtualServices: readonly VirtualService[];
  target(ref: Ref): TargetSource | undefined;
  route(ref: Ref): Route | undefined;
  virtualService(ref: Ref): VirtualService | undefined;
  /** proxies / naked services a selector picks */
  selectedProxies(sel: Selector | undefined): Proxy[];
  selectedServices(sel: Selector | undefined): Service[];
  rulesOf(vs: VirtualService): readonly PlacedRule[];
}

const asSelectable = (p: Proxy): Selectable => ({
  name: p.id.name,
  namespace: p.id.namespace,
  labels: p.labels,
  services: p.services,
});
const serviceSelectable = (s: Service): Selectable => ({
  name: s.id.name,
  namespace: s.id.namespace,
  labels: s.labels,
  services: [s.id.name],
});

type Located = { id: ObjectId; src: SourceRef };

/**
 * One kind's objects by namespace, then name. Lookups use the strings as written (their hashes are
 * cached), instead of building and hashing a `kind/namespace/name` key per lookup.
 */
class Index<T extends Located> {
  private readonly byNamespace = new Map<string, Map<string, T>>();
  /** in definition order */
  readonly all: T[] = [];

  get(namespace: string, name: string): T | undefined {
    return this.byNamespace.get(namespace)?.get(name);
  }

  /** names in one namespace, in definition order */
  names(namespace: string): string[] {
    return [...(this.byNamespace.get(namespace)?.keys() ?? [])];
  }

  /** adds `it` unless its name is taken; returns the object that already has it */
  add(it: T): T | undefined {
    let names = this.byNamespace.get(it.id.namespace);
    if (!names) this.byNamespace.set(it.id.namespace, (names = new Map()));
    const prev = names.get(it.id.name);
    if (prev) return prev;
    names.set(it.id.name, it);
    this.all.push(it);
    return undefined;
  }
}

function index<T extends Located>(items: readonly T[], diags: Diagnostics): Index<T> {
  const m = new Index<T>();
  for (const it of items) {
    const prev = m.add(it);
    if (prev) {
      diags.add({
        code: 'L7C4001',
        file: it.src.file,
        document: it.src.document,
        path: [...it.src.base, 'metadata', 'name'],
        message: `${it.id.kind} "${displayId(it.id)}" is defined twice; the first is in ${prev.src.file}`,
        hint: 'rename one of them; names are unique per kind and namespace',
      });
    }
  }
  return m;
}

export function resolve(model: Model, diags: Diagnostics): Resolved {
  const vss = index(model.virtualServices, diags);
  const targets = index(model.targets, diags);
  const routes = index(model.routes, diags);
  index(model.rules, diags);
  const services = index(model.services, diags);
  const proxyIdx = index(model.proxies, diags);
  const proxies = [...proxyIdx.all].sort((a, b) => idKey(a.id).localeCompare(idKey(b.id)));
  const serviceList = services.all;
  // Posting lists so a selector only tests the proxies that can match its first requirement.
  const postings = new Map<string, Proxy[]>();
  const post = (k: string, p: Proxy) => (postings.get(k) ?? (postings.set(k, []), postings.get(k)!)).push(p);
  for (const p of proxies) {
    for (const [k, v] of Object.entries(p.labels)) post(`L\0${k}\0${v}`, p);
    for (const svc of p.services) post(`S\0${svc}`, p);
  }
  const candidates = (sel: Selector): Proxy[] => {
    const first = Object.entries(sel.matchLabels)[0];
    if (first) return postings.get(`L\0${first[0]}\0${first[1]}`) ?? [];
    if (sel.matchService !== undefined) return postings.get(`S\0${sel.matchService}`) ?? [];
    return proxies;
  };
  // Selectors are evaluated once each; equal selectors (same content) share the result. Found by
  // identity first, so the content key is made once per selector object, not once per call.
  // (A plain Map: its keys are model objects, which live as long as the result, and WeakMap
  // inserts cost more.)
  type Selected = { proxies?: Proxy[]; services?: Service[] };
  const byContent = new Map<string, Selected>();
  const byIdentity = new Map<Selector, Selected>();
  const selected = (sel: Selector): Selected => {
    let slot = byIdentity.get(sel);
    if (!slot) {
      const k = canonical([sel.matchLabels, sel.matchExpressions, sel.matchService, sel.matchNamespace]);
      slot = byContent.get(k);
      if (!slot) byContent.set(k, (slot = {}));
      byIdentity.set(sel, slot);
    }
    return slot;
  };

  const r: Resolved = {
    model,
    proxies,
    virtualServices: vss.all,
    target(ref) {
      const t = targets.get(ref.namespace, ref.name);
      if (t) return { kind: 'target', target: t };
      const vs = vss.get(ref.namespace, ref.name);
      if (vs) return { kind: 'vs', vs };
      const s = services.get(ref.namespace, ref.name);
      if (s) return { kind: 'service', service: s };
      return undefined;
    },
    route: (ref) => routes.get(ref.namespace, ref.name),
    virtualService: (ref) => vss.get(ref.namespace, ref.name),
    selectedProxies(sel) {
      if (!sel) return [];
      const slot = selected(sel);
      return (slot.proxies ??= candidates(sel).filter((p) => selects(sel, asSelectable(p))));
    },
    selectedServices(sel) {
      if (!sel) return [];
      const slot = selected(sel);
      return (slot.services ??= serviceList.filter((s) => selects(sel, serviceSelectable(s))));
    },
    // a duplicate definition (not indexed) shares the list of the first one, as by name
    rulesOf: (vs) => merged.get(vss.get(vs.id.namespace, vs.id.name)!) ?? [],
  };

  // Rule objects join their VirtualService's list: by position (stable order by name), else appended.
  const merged = new Map<VirtualService, PlacedRule[]>();
  for (const vs of vss.all)
    merged.set(
      vs,
      vs.rules.map((rule) => ({ rule, owner: vs })),
    );
  // `position` is the rule's index in the final list. Placed in ascending position; among equal
  // positions in reverse name order, so that each insert lands before the previous one and the
  // result reads in name order. Rules without a position are appended in name order.
  const ruleObjs = [...model.rules].sort(
    (a, b) =>
      (a.position ?? Infinity) - (b.position ?? Infinity) ||
      (a.position === undefined ? 1 : -1) * idKey(a.id).localeCompare(idKey(b.id)),
  );
  const namesIn = (kind: ObjectId['kind'], ns: string) =>
    (kind === 'VirtualService'
      ? vss
      : kind === 'Target'
        ? targets
        : kind === 'Route'
          ? routes
          : services
    ).names(ns);
  const dangling = (
    o: Located,
    ref: Ref,
    code: 'L7C4002' | 'L7C4003' | 'L7C4004' | 'L7C4005' | 'L7C4009',
    what: string,
    kinds: ObjectId['kind'][],
  ) => {
    const candidates = kinds.flatMap((k) => namesIn(k, ref.namespace));
    const hint = didYouMean(ref.name, candidates);
    diags.add({
      code,
      file: o.src.file,
      document: o.src.document,
      path: [...o.src.base, ...ref.at],
      message: `${what} "${ref.text}" not found: no ${kinds.join(', ')} named "${ref.name}" in namespace "${ref.namespace}"`,
      ...(hint ? { hint } : {}),
    });
  };
  for (const ro of ruleObjs) {
    const vs = r.virtualService(ro.virtualService);
    if (!vs) {
      dangling(ro, ro.virtualService, 'L7C4005', 'virtualService', ['VirtualService']);
      continue;
    }
    const list = merged.get(vs)!;
    const placed = { rule: ro.rule, owner: ro };
    if (ro.position === undefined) list.push(placed);
    else if (ro.position > list.length) {
      diags.add({
        code: 'L7C5012',
        file: ro.src.file,
        document: ro.src.document,
        path: [...ro.src.base, 'spec', 'position'],
        message: `position ${ro.position} is past the end of "${displayId(vs.id)}"'s rule list (${list.length} rules at this point)`,
        hint: `use a position from 0 to ${list.length}, or leave it out to append`,
      });
      list.push(placed);
    } else list.splice(ro.position, 0, placed);
  }

  // Every reference, everywhere, checked once.
  const checkTarget = (o: Located, t: TargetRef) => {
    if ('ref' in t && !r.target(t.ref))
      dangling(o, t.ref, 'L7C4002', 'target', ['Target', 'VirtualService', 'Service']);
  };
  const checkRoute = (o: Located, rr: RouteRef | undefined) => {
    if (!rr) return;
    if ('ref' in rr) {
      if (!r.route(rr.ref)) dangling(o, rr.ref, 'L7C4003', 'route', ['Route']);
      return;
    }
    for (const t of [rr.inline.destination, ...rr.inline.ingress, ...rr.inline.egress]) checkTarget(o, t);
  };
  const checkRule = (o: Located, rule: RuleSpec) => {
    checkRoute(o, rule.route);
    if (rule.apply !== undefined) {
      const ref: Ref = {
        name: rule.apply.split('.')[0]!,
        namespace: rule.apply.split('.')[1] ?? o.id.namespace,
        text: rule.apply,
        at: [...rule.at, 'action', 'apply'],
      };
      if (!r.virtualService(ref)) dangling(o, ref, 'L7C4009', 'apply', ['VirtualService']);
    }
    if (!rule.route && rule.apply === undefined)
      diags.add({
        code: 'L7C4010',
        file: o.src.file,
        document: o.src.document,
        path: [...o.src.base, ...rule.at, 'action'],
        message: 'rule action has neither `route` nor `apply`: matching sessions would have nowhere to go',
      });
  };
  for (const vs of vss.all) for (const rule of vs.rules) checkRule(vs, rule);
  for (const ro of model.rules) checkRule(ro, ro.rule);
  for (const rt of routes.all) checkRoute(rt, { inline: rt.route });
  for (const t of targets.all)
    if (t.linkedVirtualService && !r.virtualService(t.linkedVirtualService))
      dangling(t, t.linkedVirtualService, 'L7C4004', 'linkedVirtualService', ['VirtualService']);
  return r;
}
