// Diff and plan (DESIGN §4.3): desired graph + live state → the smallest ordered list of REST calls
// that makes the proxy match, each with its reason, the live sessions it ends and its undo. Pure.
//
// The proxy has no update and no referential integrity, so the order is the whole point:
//   1. creates bottom-up: clusters, endpoints, routes, rules, rulelists (a rule that `apply`s a new
//      rulelist waits for it), so nothing live ever points at a missing object;
//   2. rulelists that exist are edited in place: new rule references first, then old ones removed;
//   3. listeners last: a UDP singleton listener created before its downstream objects is dead for
//      good (facts §4.1). A listener whose port an old listener still holds waits for its delete;
//   4. deletes top-down (listeners, rulelists, rules, routes, endpoints, clusters), never recursive:
//      live sessions keep their copies and survive, except a UDP singleton listener's own session.
// Content-named kinds (rules, routes, clusters, listeners) change by getting a new name: the new
// object is built beside the old one, the referrer switches, the old one goes (make-before-break).
import { createHash } from 'node:crypto';
import { canonical, sortKeys } from '../../compiler/lowering/canonical.ts';
import {
  GRAPH_KINDS,
  type GraphKind,
  type L7Cluster,
  type L7Endpoint,
  type L7Listener,
  type L7Route,
  type L7Rule,
  type L7RuleList,
  type ProxyGraph,
} from '../../compiler/model/graph.ts';
import type { Action, Call, LiveState, Plan, PlannedCall, ProxyPlan } from '../reconcile/types.ts';
import { PLAN_FORMAT_VERSION } from '../reconcile/types.ts';
import { createCall, deleteCall, insertRuleCall, removableByName, removeRuleCall } from './calls.ts';
import { fieldChanges } from './field-changes.ts';
import { bindingKey, isSingleton } from './listener-binding.ts';
import { guessOrigin, stemOf } from './names.ts';
import { editRuleList } from './rulelist-edit.ts';
import { normaliseEndpoint, normaliseObjects } from '../proxy/normalise.ts';

type Named = { readonly name: string };
type Objects = { readonly [K in GraphKind]: readonly Named[] };
type Index = { readonly [K in GraphKind]: ReadonlyMap<string, Named> };

/** Kinds that get a new name when their content changes (naming.ts). */
type Replaceable = 'listeners' | 'rules' | 'routes' | 'clusters';

export const KIND_LABEL: Record<GraphKind, string> = {
  listeners: 'listener',
  rulelists: 'rulelist',
  rules: 'rule',
  routes: 'route',
  clusters: 'cluster',
  endpoints: 'endpoint',
};

/** Equal canonical JSON is equal content (both sides normalised first, see ProxyPlanner). */
const same = (a: unknown, b: unknown): boolean => canonical(sortKeys(a)) === canonical(sortKeys(b));

const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function index(o: Objects, keep: (kind: GraphKind, name: string) => boolean = () => true): Index {
  const m = (k: GraphKind) => new Map(o[k].filter((x) => keep(k, x.name)).map((x) => [x.name, x] as const));
  return {
    listeners: m('listeners'),
    rulelists: m('rulelists'),
    rules: m('rules'),
    routes: m('routes'),
    clusters: m('clusters'),
    endpoints: m('endpoints'),
  };
}

/** Names an object refers to, by kind. */
function references(kind: GraphKind, o: Named): [GraphKind, string][] {
  switch (kind) {
    case 'listeners':
      return [['rulelists', (o as L7Listener).rules]];
    case 'rulelists':
      return (o as L7RuleList).rules.map((r) => ['rules', r]);
    case 'rules': {
      const a = (o as L7Rule).action;
      return [
        ...(a.route !== undefined ? [['routes', a.route] as [GraphKind, string]] : []),
        ...(a.apply !== undefined ? [['rulelists', a.apply] as [GraphKind, string]] : []),
      ];
    }
    case 'routes': {
      const r = o as L7Route;
      return [r.destination, ...r.ingress, ...r.egress].map((c) => ['clusters', c]);
    }
    case 'endpoints':
      return [['clusters', (o as L7Endpoint).cluster]];
    default:
      return [];
  }
}

/**
 * Dependencies first, then the object: a depth-first post-order over `items` (in the given order),
 * following only dependencies inside `items`. A cycle (two rulelists `apply`ing each other) is cut
 * where it is met.
 */
function dependencyOrder(
  items: readonly [GraphKind, Named][],
  deps: (kind: GraphKind, o: Named) => [GraphKind, string][],
): [GraphKind, Named][] {
  const key = (k: GraphKind, n: string) => `${k}/${n}`;
  const byKey = new Map(items.map(([k, o]) => [key(k, o.name), [k, o] as [GraphKind, Named]]));
  const seen = new Set<string>();
  const out: [GraphKind, Named][] = [];
  const visit = (k: GraphKind, o: Named) => {
    const id = key(k, o.name);
    if (seen.has(id)) return;
    seen.add(id);
    for (const [dk, dn] of deps(k, o)) {
      const d = byKey.get(key(dk, dn));
      if (d) visit(...d);
    }
    out.push([k, o]);
  };
  for (const [k, o] of items) visit(k, o);
  return out;
}

function describeChanges(old: unknown, now: unknown): string {
  const paths = fieldChanges(old, now).map((c) => c.path);
  return paths.length ? paths.join(', ') : 'content';
}

class ProxyPlanner {
  /** desired and live objects by kind and name: what creates send and undos restore */
  private readonly d: Index;
  private readonly l: Index;
  /**
   * The same, as the proxy would show them back (normaliseObjects: explicit defaults such as
   * `weight: 1` or listener `options: {track: 0}` dropped, a cluster's never-shown `options`
   * dropped): what is compared. Both sides go through it, so a plan never chases a default.
   */
  private readonly dView: Index;
  private readonly lView: Index;
  private readonly calls: PlannedCall[] = [];
  /** live endpoints as the calls so far leave them (a cluster delete drops its endpoints) */
  private readonly endpoints: Map<string, L7Endpoint>;
  /** live objects already deleted by an earlier call (a listener freeing its port early) */
  private readonly deleted = new Set<string>();
  /** desired objects that are not live: created */
  private readonly fresh = new Map<GraphKind, Set<string>>();
  /** desired objects live under the same name but with other content (or zombies): deleted and re-created */
  private readonly redo = new Map<GraphKind, Map<string, 'drift' | 'zombie'>>();
  /** live objects that are not desired: deleted */
  private readonly gone = new Map<GraphKind, Set<string>>();
  /** new name → the old version it replaces, and back (per kind) */
  private readonly replaces = new Map<string, string>();
  private readonly replacedBy = new Map<string, string>();
  /** desired objects missing live although a live object of ours still points at them */
  private readonly missing = new Set<string>();
  /** live objects of ours that another live object of ours points at */
  private readonly referencedLive = new Set<string>();
  /** `kind/stem` → the origin of a desired object with that stem */
  private readonly stemOrigins = new Map<string, string>();

  constructor(
    private readonly desired: ProxyGraph,
    private readonly live: LiveState,
  ) {
    const theirs = new Set(live.theirs.map((r) => `${r.kind}/${r.name}`));
    const ours = (k: GraphKind, n: string) => !theirs.has(`${k}/${n}`);
    this.d = index(desired);
    this.l = index(live.ours, ours);
    this.dView = index(normaliseObjects(desired));
    this.lView = index(normaliseObjects(live.ours), ours);
    this.endpoints = new Map(this.l.endpoints as Map<string, L7Endpoint>);
    for (const kind of GRAPH_KINDS)
      for (const name of this.d[kind].keys()) {
        const o = desired.origins[name];
        if (o && !this.stemOrigins.has(`${kind}/${stemOf(name)}`))
          this.stemOrigins.set(`${kind}/${stemOf(name)}`, o.object);
      }
  }

  plan(): PlannedCall[] {
    this.classify();
    this.createClusters();
    this.createEndpoints();
    this.createRoutes();
    this.createRulesAndRuleLists();
    this.editRuleLists();
    this.createListeners();
    this.deleteListeners();
    this.deleteRulesAndRuleLists();
    this.deleteSimple('routes');
    this.removeEndpoints();
    this.deleteSimple('clusters');
    return this.calls;
  }

  // --- classification -------------------------------------------------------------------------

  private classify(): void {
    const zombies = new Set(this.live.zombies);
    for (const kind of ['listeners', 'rulelists', 'rules', 'routes', 'clusters'] as const) {
      const fresh = new Set<string>();
      const redo = new Map<string, 'drift' | 'zombie'>();
      const gone = new Set<string>();
      for (const name of this.d[kind].keys()) {
        if (!this.l[kind].has(name)) fresh.add(name);
        else if (kind === 'rulelists')
          continue; // edited in place
        else if (!same(this.lView[kind].get(name), this.dView[kind].get(name))) redo.set(name, 'drift');
        else if (kind === 'listeners' && zombies.has(name)) redo.set(name, 'zombie');
      }
      for (const name of this.l[kind].keys()) if (!this.d[kind].has(name)) gone.add(name);
      this.fresh.set(kind, fresh);
      this.redo.set(kind, redo);
      this.gone.set(kind, gone);
    }
    for (const kind of ['listeners', 'rules', 'routes', 'clusters'] as const) this.pair(kind);

    for (const kind of ['listeners', 'rulelists', 'rules', 'routes'] as const)
      for (const o of this.l[kind].values())
        for (const [rk, rn] of references(kind, o)) this.referencedLive.add(`${rk}/${rn}`);
    // "Deleted by hand": a live object that stays as it is still points at it.
    for (const kind of ['listeners', 'rulelists', 'rules', 'routes'] as const)
      for (const [name, o] of this.l[kind]) {
        const want = this.d[kind].get(name);
        if (!want) continue;
        const wanted = new Set(references(kind, want).map(([k, n]) => `${k}/${n}`));
        for (const [rk, rn] of references(kind, o))
          if (wanted.has(`${rk}/${rn}`) && this.fresh.get(rk)?.has(rn)) this.missing.add(`${rk}/${rn}`);
      }
    // A listener is the root: missing while its rulelist is live and no live listener uses it.
    for (const [name, l] of this.d.listeners as Map<string, L7Listener>)
      if (
        this.fresh.get('listeners')!.has(name) &&
        !this.replaces.has(`listeners/${name}`) &&
        this.l.rulelists.has(l.rules) &&
        !this.referencedLive.has(`rulelists/${l.rules}`)
      )
        this.missing.add(`listeners/${name}`);
  }

  /** A new name and an old one with the same stem are two versions of one object: a replacement. */
  private pair(kind: Replaceable): void {
    const group = (names: Iterable<string>, lists: Index['rulelists']) => {
      // Several changed rules of one owner pair up in list order; other kinds by name.
      const rank = new Map<string, string>();
      if (kind === 'rules')
        for (const [rl, o] of [...lists].sort(([a], [b]) => byName(a, b)))
          (o as L7RuleList).rules.forEach((r, i) => {
            if (!rank.has(r)) rank.set(r, `${rl}\0${String(i).padStart(8, '0')}`);
          });
      const key = (n: string) => rank.get(n) ?? `\u{10FFFF}${n}`;
      const m = new Map<string, string[]>();
      for (const n of names) {
        const v = m.get(stemOf(n));
        if (v) v.push(n);
        else m.set(stemOf(n), [n]);
      }
      for (const v of m.values()) v.sort((a, b) => byName(key(a), key(b)));
      return m;
    };
    const olds = group(this.gone.get(kind)!, this.l.rulelists);
    for (const [stem, news] of group(this.fresh.get(kind)!, this.d.rulelists)) {
      const old = olds.get(stem) ?? [];
      for (let i = 0; i < Math.min(news.length, old.length); i++) {
        this.replaces.set(`${kind}/${news[i]}`, old[i]!);
        this.replacedBy.set(`${kind}/${old[i]}`, news[i]!);
      }
    }
  }

  // --- reasons --------------------------------------------------------------------------------

  private origin(kind: GraphKind, name: string): string {
    const o = this.desired.origins[name]?.object;
    if (o) return o;
    const next = this.replacedBy.get(`${kind}/${name}`);
    if (next && this.desired.origins[next]) return this.desired.origins[next].object;
    if (kind === 'endpoints') {
      const c = this.l.endpoints.get(name) as L7Endpoint | undefined;
      if (c && this.desired.origins[c.cluster]) return this.desired.origins[c.cluster]!.object;
    }
    // another version of it (a rule of the same VirtualService) is still there
    const sibling = this.stemOrigins.get(`${kind}/${stemOf(name)}`);
    if (sibling) return sibling;
    const guess = guessOrigin(kind, name);
    return guess === undefined ? 'not in the configuration' : guess.includes('/') ? guess : `from "${guess}"`;
  }

  /** The fields that differ between a live object and a desired one, as the proxy would show them. */
  private changes(kind: GraphKind, live: string, desired: string): string {
    return describeChanges(this.lView[kind].get(live), this.dView[kind].get(desired));
  }

  private why(kind: GraphKind, name: string, text: string): string {
    return `${this.origin(kind, name)}: ${text}`;
  }

  // --- emitting -------------------------------------------------------------------------------

  private emit(c: PlannedCall): void {
    this.calls.push(c);
    const isDelete = c.action === 'delete' || c.action === 'replace-delete';
    if (isDelete) this.deleted.add(`${c.kind}/${c.name}`);
    if (c.kind === 'clusters' && isDelete)
      for (const [n, e] of this.endpoints) if (e.cluster === c.name) this.endpoints.delete(n);
    if (c.kind === 'endpoints') {
      if (c.action === 'remove-endpoint' || isDelete) this.endpoints.delete(c.name);
      else this.endpoints.set(c.name, c.object as L7Endpoint);
    }
  }

  private sessionsCut(kind: GraphKind, o: Named): number {
    return kind === 'listeners' && isSingleton(o as L7Listener)
      ? this.live.sessions.filter((s) => s.listener === o.name).length
      : 0;
  }

  /** The calls that bring a deleted object back; a cluster comes back with its endpoints. */
  private restore(kind: GraphKind, o: Named): Call[] {
    if (kind !== 'clusters') return [createCall(kind, o)];
    const eps = [...this.endpoints.values()]
      .filter((e) => e.cluster === o.name)
      .sort((a, b) => byName(a.name, b.name));
    return [createCall(kind, o), ...eps.map((e) => createCall('endpoints', e))];
  }

  private create(
    kind: GraphKind,
    o: Named,
    action: Action,
    reason: string,
    extra: Partial<PlannedCall> = {},
  ): void {
    this.emit({
      action,
      kind,
      name: o.name,
      reason,
      sessionsCut: 0,
      ...extra,
      call: createCall(kind, o),
      undo: [deleteCall(kind, o.name)],
      object: o,
    });
  }

  private delete(kind: GraphKind, o: Named, action: Action, reason: string, drift?: boolean): void {
    this.emit({
      action,
      kind,
      name: o.name,
      reason,
      sessionsCut: this.sessionsCut(kind, o),
      ...(drift ? { drift: true } : {}),
      call: deleteCall(kind, o.name),
      undo: this.restore(kind, o),
      object: o,
    });
  }

  /** A desired object that is not live: a plain create, or the new half of a replacement. */
  private createFresh(kind: GraphKind, o: Named, note = ''): void {
    const label = KIND_LABEL[kind];
    const old = this.replaces.get(`${kind}/${o.name}`);
    if (old !== undefined) {
      this.create(
        kind,
        o,
        'replace-create',
        this.why(kind, o.name, `${label} changed (${this.changes(kind, old, o.name)})${note}`),
        { replaces: old },
      );
    } else if (this.missing.has(`${kind}/${o.name}`)) {
      this.create(kind, o, 'create', this.why(kind, o.name, `${label} missing on the proxy${note}`), {
        drift: true,
      });
    } else {
      this.create(kind, o, 'create', this.why(kind, o.name, `new ${label}${note}`));
    }
  }

  /** Same name, other content (or a zombie): delete, then create it again as configured. */
  private recreate(kind: GraphKind, o: Named, why: 'drift' | 'zombie'): void {
    const label = KIND_LABEL[kind];
    const was = this.l[kind].get(o.name)!;
    const drift = why === 'drift';
    const reason = this.why(
      kind,
      o.name,
      drift
        ? `live ${label} differs from the configuration (${this.changes(kind, o.name, o.name)}): deleted and created again`
        : 'zombie (a UDP singleton listener whose session is gone; its socket is closed): deleted and created again',
    );
    this.delete(kind, was, 'replace-delete', reason, drift);
    this.create(kind, o, 'replace-create', reason, { replaces: o.name, ...(drift ? { drift } : {}) });
  }

  /** A live object that is not desired. */
  private deleteGone(kind: GraphKind, o: Named, note = ''): void {
    const next = this.replacedBy.get(`${kind}/${o.name}`);
    if (next !== undefined) {
      this.delete(kind, o, 'replace-delete', this.why(kind, o.name, `replaced by ${next}${note}`));
      return;
    }
    const drift = !this.explained(kind, o);
    this.delete(
      kind,
      o,
      'delete',
      this.why(
        kind,
        o.name,
        drift
          ? `${KIND_LABEL[kind]} not made from this configuration${note}`
          : `no longer in the configuration${note}`,
      ),
      drift,
    );
  }

  /**
   * Whether a live object of ours that is not desired fits a graph we made: then the configuration
   * dropped it. Otherwise someone made it by hand under our marker. Listeners and clusters are
   * roots (a Target deploys a cluster nothing routes to); the rest must be referenced.
   */
  private explained(kind: GraphKind, o: Named): boolean {
    switch (kind) {
      case 'listeners':
        return this.l.rulelists.has((o as L7Listener).rules);
      case 'clusters':
        return true;
      case 'endpoints':
        return this.l.clusters.has((o as L7Endpoint).cluster);
      default:
        return this.referencedLive.has(`${kind}/${o.name}`);
    }
  }

  // --- phases ---------------------------------------------------------------------------------

  private sortedDesired<T extends Named>(kind: GraphKind): T[] {
    return [...(this.d[kind].values() as Iterable<T>)].sort((a, b) => byName(a.name, b.name));
  }

  private createOrRecreate(kind: Replaceable, o: Named): void {
    const redo = this.redo.get(kind)!.get(o.name);
    if (redo) this.recreate(kind, o, redo);
    else if (this.fresh.get(kind)!.has(o.name)) this.createFresh(kind, o);
  }

  private createClusters(): void {
    for (const c of this.sortedDesired<L7Cluster>('clusters')) this.createOrRecreate('clusters', c);
  }

  private createEndpoints(): void {
    const rebuilt = (c: string) => this.fresh.get('clusters')!.has(c) || this.redo.get('clusters')!.has(c);
    for (const e of this.sortedDesired<L7Endpoint>('endpoints')) {
      const cur = this.endpoints.get(e.name);
      if (cur && same(normaliseEndpoint(cur, cur.cluster), this.dView.endpoints.get(e.name))) continue;
      const newCluster = rebuilt(e.cluster);
      const clusterDrift =
        this.redo.get('clusters')!.has(e.cluster) || this.missing.has(`clusters/${e.cluster}`);
      const addr = `${e.spec.address}${e.weight !== undefined ? ` (weight ${e.weight})` : ''}`;
      if (cur) {
        this.emit({
          action: 'remove-endpoint',
          kind: 'endpoints',
          name: e.name,
          reason: this.why(
            'endpoints',
            e.name,
            `live endpoint differs from the configuration (${describeChanges(normaliseEndpoint(cur, cur.cluster), this.dView.endpoints.get(e.name))})`,
          ),
          sessionsCut: 0,
          drift: true,
          call: deleteCall('endpoints', e.name),
          undo: [createCall('endpoints', cur)],
          object: cur,
        });
      }
      const text = cur
        ? `endpoint ${addr} re-added as configured`
        : newCluster
          ? this.l.endpoints.has(e.name)
            ? `endpoint ${addr} re-added: re-creating its cluster dropped it`
            : `endpoint ${addr} of a new cluster`
          : `endpoint ${addr} added`;
      this.create(
        'endpoints',
        e,
        newCluster ? 'create' : 'add-endpoint',
        this.why('endpoints', e.name, text),
        {
          ...(cur || clusterDrift ? { drift: true } : {}),
        },
      );
    }
  }

  private createRoutes(): void {
    for (const r of this.sortedDesired<L7Route>('routes')) this.createOrRecreate('routes', r);
  }

  private createRulesAndRuleLists(): void {
    const items: [GraphKind, Named][] = [
      ...this.sortedDesired<L7Rule>('rules')
        .filter((r) => this.fresh.get('rules')!.has(r.name) || this.redo.get('rules')!.has(r.name))
        .map((r) => ['rules', r] as [GraphKind, Named]),
      ...this.sortedDesired<L7RuleList>('rulelists')
        .filter((rl) => this.fresh.get('rulelists')!.has(rl.name))
        .map((rl) => ['rulelists', rl] as [GraphKind, Named]),
    ];
    for (const [kind, o] of dependencyOrder(items, references)) {
      if (kind === 'rules') this.createOrRecreate('rules', o);
      else this.createFresh(kind, o);
    }
  }

  /** Every insert (in every list) before any removal: a rule moving between lists is never absent. */
  private editRuleLists(): void {
    const edits = this.sortedDesired<L7RuleList>('rulelists').flatMap((want) => {
      const have = this.l.rulelists.get(want.name) as L7RuleList | undefined;
      if (!have || same(have.rules, want.rules)) return []; // names only: nothing to normalise
      return editRuleList(have.rules, want.rules).map((edit) => ({
        edit,
        list: want.name,
        have: have.rules,
      }));
    });
    for (const { edit, list, have } of edits.filter((e) => e.edit.op === 'insert')) {
      // A rule of ours that stays but that no live list holds: someone took it out by hand.
      const drift =
        this.l.rules.has(edit.rule) &&
        !this.redo.get('rules')!.has(edit.rule) &&
        !this.referencedLive.has(`rules/${edit.rule}`);
      this.emit({
        ...this.ruleEdit(list, edit.rule, edit.position),
        action: 'insert-rule',
        reason: `${this.ruleOrigin(list, edit.rule)}: rule ${have.includes(edit.rule) ? 'moved' : 'inserted'} at position ${edit.position}`,
        ...(drift ? { drift: true } : {}),
        call: insertRuleCall(list, edit.rule, edit.position),
        undo: [removeRuleCall(list, edit.position)],
      });
    }
    for (const { edit, list } of edits) {
      if (edit.op !== 'remove') continue;
      // A name that is no rule of ours, here or wanted: someone put it in by hand.
      const drift = !this.l.rules.has(edit.rule) && !this.d.rules.has(edit.rule);
      this.emit({
        ...this.ruleEdit(list, edit.rule, edit.position),
        action: 'remove-rule',
        reason: `${this.ruleOrigin(list, edit.rule)}: ${edit.moved ? 'rule moved: removed from its old position' : 'rule removed from position'} ${edit.position}${drift ? ' (no such rule of ours)' : ''}`,
        ...(drift ? { drift: true } : {}),
        // by name while that is unambiguous, so the call cannot hit a neighbour
        call: removeRuleCall(list, edit.unique && removableByName(edit.rule) ? edit.rule : edit.position),
        undo: [insertRuleCall(list, edit.rule, edit.position)],
      });
    }
  }

  private ruleEdit(rulelist: string, rule: string, position: number) {
    const o = this.d.rules.get(rule) ?? this.l.rules.get(rule);
    return {
      kind: 'rules' as const,
      name: rule,
      rulelist,
      position,
      sessionsCut: 0,
      ...(o ? { object: o } : {}),
    };
  }

  private ruleOrigin(rulelist: string, rule: string): string {
    return this.desired.origins[rule]?.object ?? this.origin('rulelists', rulelist);
  }

  private createListeners(): void {
    const gone = [...this.gone.get('listeners')!]
      .sort(byName)
      .map((n) => this.l.listeners.get(n) as L7Listener);
    // Re-created ones first: a drifted listener may hold the port a new one needs.
    const redos = this.redo.get('listeners')!;
    const todo = this.sortedDesired<L7Listener>('listeners')
      .filter((l) => redos.has(l.name) || this.fresh.get('listeners')!.has(l.name))
      .sort((a, b) => Number(!redos.has(a.name)) - Number(!redos.has(b.name)));
    for (const l of todo) {
      const redo = redos.get(l.name);
      // An old listener on the same port goes first: two UDP listeners on one port both bind, and a
      // TCP listener on a busy port answers 200 and never listens (facts §3.4).
      const key = bindingKey(l.spec);
      let freed = '';
      if (key)
        for (const old of gone)
          if (!this.deleted.has(`listeners/${old.name}`) && bindingKey(old.spec) === key) {
            this.deleteGone('listeners', old, `; it holds ${key}, so it goes before ${l.name} is created`);
            freed = `; created after ${old.name} freed ${key}`;
          }
      if (redo) this.recreate('listeners', l, redo);
      else this.createFresh('listeners', l, freed);
    }
  }

  private deleteListeners(): void {
    for (const name of [...this.gone.get('listeners')!].sort(byName))
      if (!this.deleted.has(`listeners/${name}`)) this.deleteGone('listeners', this.l.listeners.get(name)!);
  }

  private deleteRulesAndRuleLists(): void {
    // Referrers first: the reverse of a dependency order (rulelists before their rules, a rule
    // before the rulelist it applies).
    const items: [GraphKind, Named][] = [
      ...[...this.gone.get('rules')!]
        .sort(byName)
        .reverse()
        .map((n) => ['rules', this.l.rules.get(n)!] as [GraphKind, Named]),
      ...[...this.gone.get('rulelists')!]
        .sort(byName)
        .reverse()
        .map((n) => ['rulelists', this.l.rulelists.get(n)!] as [GraphKind, Named]),
    ];
    for (const [kind, o] of dependencyOrder(items, references).reverse()) this.deleteGone(kind, o);
  }

  private deleteSimple(kind: 'routes' | 'clusters'): void {
    for (const name of [...this.gone.get(kind)!].sort(byName)) this.deleteGone(kind, this.l[kind].get(name)!);
  }

  /** Endpoints that are no longer wanted on a cluster that stays (a deleted cluster takes its own). */
  private removeEndpoints(): void {
    const clusterGoes = (c: string) => this.gone.get('clusters')!.has(c);
    for (const e of [...this.endpoints.values()].sort((a, b) => byName(a.name, b.name))) {
      if (this.d.endpoints.has(e.name) || clusterGoes(e.cluster)) continue;
      const drift = !this.explained('endpoints', e);
      this.emit({
        action: 'remove-endpoint',
        kind: 'endpoints',
        name: e.name,
        reason: this.why(
          'endpoints',
          e.name,
          drift
            ? `endpoint ${e.spec.address} not made from this configuration`
            : `endpoint ${e.spec.address} removed`,
        ),
        sessionsCut: 0,
        ...(drift ? { drift: true } : {}),
        call: deleteCall('endpoints', e.name),
        undo: [createCall('endpoints', e)],
        object: e,
      });
    }
  }
}

/** The calls that make one proxy's live state equal its desired graph; empty when they match. */
export function planProxy(desired: ProxyGraph, live: LiveState): ProxyPlan {
  return {
    proxy: desired.proxy,
    adminUrl: live.adminUrl,
    fingerprint: live.fingerprint,
    calls: new ProxyPlanner(desired, live).plan(),
  };
}

/** Content hash of the compiled graphs a plan was made from. */
export function desiredHash(desired: readonly ProxyGraph[]): string {
  return createHash('sha256').update(canonical(desired)).digest('hex').slice(0, 16);
}

/**
 * A plan for every proxy that was observed. A desired graph without a live state must be listed
 * in `unreachable` (its part is skipped); anything else is a caller bug.
 */
export function makePlan(
  desired: readonly ProxyGraph[],
  live: readonly LiveState[],
  unreachable: Plan['unreachable'],
  opts: { readonly revision?: string } = {},
): Plan {
  const byProxy = new Map(live.map((l) => [l.proxy, l]));
  const skipped = new Set(unreachable.map((u) => u.proxy));
  const proxies: ProxyPlan[] = [];
  for (const g of desired) {
    const l = byProxy.get(g.proxy);
    if (l) proxies.push(planProxy(g, l));
    else if (!skipped.has(g.proxy))
      throw new Error(`makePlan: proxy "${g.proxy}" was neither observed nor reported unreachable`);
  }
  return {
    format_version: PLAN_FORMAT_VERSION,
    desired: desiredHash(desired),
    ...(opts.revision !== undefined ? { revision: opts.revision } : {}),
    proxies,
    unreachable: [...unreachable],
  };
}
