// A FAKE l7mp 0.5.7 proxy for the plan property tests: no real proxy can be driven thousands of
// times per test run, so this pure model stands in for the REST semantics that decide whether a
// plan is right (facts §3, §4, §7). Written from the facts doc, independently of runtime/plan.
//
// What it models (a call that breaks one of these throws SimError, like the proxy's 400):
//   - POST of a name that exists fails (per-kind namespaces; endpoints global across clusters);
//   - DELETE of an unknown name fails; `?recursive=true` is refused outright (plans never use it);
//   - deleting a cluster drops its endpoints; endpoints go only onto an existing cluster;
//   - rulelist insert at 0 ≤ pos ≤ length; removal by position (0 ≤ pos < length: the proxy's silent
//     no-op at pos == length is refused here) or by name (first occurrence; a segment starting
//     with a digit is read as a position, facts L6);
//   - bodies: a cluster with inline `endpoints` (crash, facts C1), a rule with the dumped wildcard
//     match (facts Q1), inline rules in a rulelist or listener are refused;
//   - UDP singleton sessions: a singleton listener created while anything downstream is missing is
//     dead (facts §4.1); deleting a singleton listener ends its session.
// What it records instead of throwing (the proxy answers 200 to these):
//   - `violations`: after every call, a listener, rulelist, rule or route of ours that references a
//     missing object (make-before-break), a listener created on a port another listener holds, a
//     singleton listener created dead.
import type {
  L7Cluster,
  L7Endpoint,
  L7Listener,
  L7Route,
  L7Rule,
  L7RuleList,
} from '../../compiler/model/graph.ts';
import type { Call, LiveObjects, LiveSession, LiveState } from '../../runtime/reconcile/types.ts';

export class SimError extends Error {}

type Kind = 'listeners' | 'rulelists' | 'rules' | 'routes' | 'clusters';

const byName = <T extends { name: string }>(xs: Iterable<T>): T[] =>
  [...xs].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

function bindKey(spec: Record<string, any>): string | undefined {
  switch (spec.protocol) {
    case 'UDP':
      return `udp/${spec.port}`;
    case 'TCP':
    case 'HTTP':
    case 'WebSocket':
      return `tcp/${spec.port}`;
    case 'UnixDomainSocket':
      return `unix/${spec.filename}`;
    case 'JSONSocket':
      return bindKey(spec.transport ?? {});
    default:
      return undefined;
  }
}

/** listener.js: `spec.options.mode` decides when given, else a `connect` address and port. */
function singleton(l: L7Listener): boolean {
  const s: Record<string, any> = l.spec.protocol === 'JSONSocket' ? (l.spec.transport as any) : l.spec;
  if (s?.protocol !== 'UDP') return false;
  if (s.options?.mode) return s.options.mode === 'singleton';
  return Boolean(s.connect?.address && s.connect?.port);
}

export class ProxySim {
  readonly listeners = new Map<string, L7Listener>();
  readonly rulelists = new Map<string, { name: string; rules: string[] }>();
  readonly rules = new Map<string, L7Rule>();
  readonly routes = new Map<string, L7Route>();
  readonly clusters = new Map<string, L7Cluster>();
  readonly endpoints = new Map<string, L7Endpoint>();
  sessions: LiveSession[];
  /** sessions ended by the calls so far */
  ended = 0;
  readonly violations: string[] = [];
  private step = 0;

  constructor(initial: LiveObjects, sessions: readonly LiveSession[] = []) {
    for (const l of initial.listeners) this.listeners.set(l.name, clone(l));
    for (const rl of initial.rulelists) this.rulelists.set(rl.name, { name: rl.name, rules: [...rl.rules] });
    for (const r of initial.rules) this.rules.set(r.name, clone(r));
    for (const r of initial.routes) this.routes.set(r.name, clone(r));
    for (const c of initial.clusters) this.clusters.set(c.name, clone(c));
    for (const e of initial.endpoints) this.endpoints.set(e.name, clone(e));
    this.sessions = [...sessions];
  }

  private map(kind: Kind): Map<string, { name: string }> {
    return this[kind] as Map<string, { name: string }>;
  }

  apply(call: Call): void {
    this.step++;
    const [path, query] = call.path.split('?');
    if (query !== undefined)
      throw new SimError(`${call.path}: query strings (recursive deletes) are never planned`);
    const seg = path!.split('/').slice(1);
    if (seg[0] !== 'api' || seg[1] !== 'v1') throw new SimError(`${call.path}: 404 Unknown API operation`);
    const [kind, a, sub, b, ...rest] = seg.slice(2).map(decodeURIComponent);
    if (rest.length) throw new SimError(`${call.path}: 404`);
    const body = call.body as Record<string, any> | undefined;
    if (call.method === 'POST' && sub === undefined && a === undefined) this.create(kind as Kind, body);
    else if (call.method === 'POST' && kind === 'clusters' && sub === 'endpoints' && b === undefined)
      this.addEndpoint(a!, body);
    else if (call.method === 'POST' && kind === 'rulelists' && sub === 'rules' && b !== undefined)
      this.insertRule(a!, b, body);
    else if (call.method === 'DELETE' && kind === 'rulelists' && sub === 'rules' && b !== undefined)
      this.removeRule(a!, b);
    else if (call.method === 'DELETE' && kind === 'endpoints' && sub === undefined) this.deleteEndpoint(a!);
    else if (call.method === 'DELETE' && sub === undefined && a !== undefined) this.delete(kind as Kind, a);
    else throw new SimError(`${call.method} ${call.path}: 404 Unknown API operation`);
    this.checkReferences(`${call.method} ${call.path}`);
  }

  private create(kind: Kind, body: Record<string, any> | undefined): void {
    const wrapper = {
      listeners: 'listener',
      rulelists: 'rulelist',
      rules: 'rule',
      routes: 'route',
      clusters: 'cluster',
    }[kind];
    if (!wrapper) throw new SimError(`POST /api/v1/${kind}: 404`);
    const o = body?.[wrapper];
    if (typeof o !== 'object' || o === null)
      throw new SimError(`POST ${kind}: body must be {"${wrapper}": {...}}`);
    if (typeof o.name !== 'string' || !/^\S+$/.test(o.name)) throw new SimError(`POST ${kind}: bad name`);
    if (this.map(kind).has(o.name)) throw new SimError(`Cannot add ${wrapper}: "${o.name}" already defined`);
    switch (kind) {
      case 'clusters':
        if ('endpoints' in o)
          throw new SimError('inline endpoints in POST /clusters (facts C1: the proxy may crash)');
        if (!o.spec) throw new SimError('cluster without spec');
        break;
      case 'rules':
        if (!o.action) throw new SimError('rule without action');
        if (
          'match' in o &&
          (o.match === '*' || (o.match?.match === '*' && Object.keys(o.match).length === 1))
        )
          throw new SimError('the dumped wildcard match never matches (facts Q1)');
        break;
      case 'rulelists':
        if (!Array.isArray(o.rules) || o.rules.some((r: unknown) => typeof r !== 'string'))
          throw new SimError('rulelist rules must be names');
        break;
      case 'routes':
        if (typeof o.destination !== 'string') throw new SimError('route destination must be a name');
        break;
      case 'listeners':
        if (typeof o.rules !== 'string') throw new SimError('listener rules must be a rulelist name');
        if (!o.spec) throw new SimError('listener without spec');
        break;
    }
    const obj = clone(o);
    if (kind === 'listeners') {
      const key = bindKey(obj.spec);
      for (const other of this.listeners.values())
        if (key !== undefined && bindKey(other.spec) === key)
          this.violations.push(
            `step ${this.step}: listener ${obj.name} created while ${other.name} holds ${key}`,
          );
      if (singleton(obj)) {
        const missing = this.downstreamGaps(obj.rules);
        if (missing.length)
          this.violations.push(
            `step ${this.step}: UDP singleton ${obj.name} created dead: missing ${missing.join(', ')}`,
          );
      }
    }
    this.map(kind).set(obj.name, obj);
  }

  private delete(kind: Kind, name: string): void {
    const m = this.map(kind);
    const o = m.get(name);
    if (!o) throw new SimError(`DELETE ${kind}/${name}: Not Found`);
    m.delete(name);
    if (kind === 'clusters')
      for (const [n, e] of this.endpoints) if (e.cluster === name) this.endpoints.delete(n);
    if (kind === 'listeners' && singleton(o as L7Listener)) {
      const before = this.sessions.length;
      this.sessions = this.sessions.filter((s) => s.listener !== name);
      this.ended += before - this.sessions.length;
    }
  }

  private addEndpoint(cluster: string, body: Record<string, any> | undefined): void {
    const e = body?.endpoint;
    if (!this.clusters.has(cluster)) throw new SimError(`POST endpoint: no such cluster ${cluster}`);
    if (typeof e?.name !== 'string') throw new SimError('endpoint without name (the proxy would invent one)');
    if (typeof e.spec?.address !== 'string') throw new SimError('endpoint without address');
    if (this.endpoints.has(e.name))
      throw new SimError(`Cannot add endpoint: Endpoint "${e.name}" already defined`);
    this.endpoints.set(e.name, { ...clone(e), cluster });
  }

  private deleteEndpoint(name: string): void {
    if (!this.endpoints.delete(name)) throw new SimError(`DELETE endpoints/${name}: Not Found`);
  }

  private insertRule(rl: string, pos: string, body: Record<string, any> | undefined): void {
    const list = this.rulelists.get(rl);
    if (!list) throw new SimError(`No such rule list: ${rl}`);
    if (!/^[0-9]+$/.test(pos)) throw new SimError(`position ${pos} is not an integer`);
    const p = Number(pos);
    if (p > list.rules.length) throw new SimError(`Cannot insert rule at position ${p} into rulelist`);
    if (typeof body?.rule !== 'string') throw new SimError('insert a rule by name only');
    list.rules.splice(p, 0, body.rule);
  }

  private removeRule(rl: string, at: string): void {
    const list = this.rulelists.get(rl);
    if (!list) throw new SimError(`No such rule list: ${rl}`);
    const n = parseInt(at, 10);
    if (!isNaN(n)) {
      if (String(n) !== at) throw new SimError(`rule name "${at}" would be read as position ${n} (facts L6)`);
      if (n < 0 || n >= list.rules.length)
        throw new SimError(`no rule at position ${n} (pos == length is a silent no-op)`);
      list.rules.splice(n, 1);
      return;
    }
    const i = list.rules.indexOf(at);
    if (i < 0) throw new SimError(`No rule ${at} on rulelist ${rl}`);
    list.rules.splice(i, 1);
  }

  /** What a session created on this rulelist right now could not find. */
  private downstreamGaps(rulelist: string): string[] {
    const gaps: string[] = [];
    const seen = new Set<string>();
    const walk = (rl: string) => {
      if (seen.has(rl)) return;
      seen.add(rl);
      const list = this.rulelists.get(rl);
      if (!list) return void gaps.push(`rulelist ${rl}`);
      for (const r of list.rules) {
        const rule = this.rules.get(r);
        if (!rule) {
          gaps.push(`rule ${r}`);
          continue;
        }
        if (rule.action.apply !== undefined) walk(rule.action.apply);
        if (rule.action.route === undefined) continue;
        const route = this.routes.get(rule.action.route);
        if (!route) {
          gaps.push(`route ${rule.action.route}`);
          continue;
        }
        for (const c of [route.destination, ...route.ingress, ...route.egress])
          if (!this.clusters.has(c)) gaps.push(`cluster ${c}`);
        const dest = this.clusters.get(route.destination);
        const hasEndpoints = [...this.endpoints.values()].some((e) => e.cluster === route.destination);
        if (
          dest &&
          ['UDP', 'TCP', 'WebSocket', 'JSONSocket', 'UnixDomainSocket'].includes(dest.spec.protocol) &&
          !hasEndpoints
        )
          gaps.push(`endpoints of ${route.destination}`);
      }
    };
    walk(rulelist);
    return gaps;
  }

  private checkReferences(after: string): void {
    const bad = (what: string) => this.violations.push(`step ${this.step} (${after}): ${what}`);
    for (const l of this.listeners.values())
      if (!this.rulelists.has(l.rules)) bad(`listener ${l.name} → missing rulelist ${l.rules}`);
    for (const rl of this.rulelists.values())
      for (const r of rl.rules) if (!this.rules.has(r)) bad(`rulelist ${rl.name} → missing rule ${r}`);
    for (const r of this.rules.values()) {
      if (r.action.route !== undefined && !this.routes.has(r.action.route))
        bad(`rule ${r.name} → missing route ${r.action.route}`);
      if (r.action.apply !== undefined && !this.rulelists.has(r.action.apply))
        bad(`rule ${r.name} → missing rulelist ${r.action.apply}`);
    }
    for (const r of this.routes.values())
      for (const c of [r.destination, ...r.ingress, ...r.egress])
        if (!this.clusters.has(c)) bad(`route ${r.name} → missing cluster ${c}`);
  }

  /** The state, in the LiveObjects shape (sorted by name), to compare with a desired graph. */
  snapshot(): LiveObjects {
    return {
      listeners: byName(this.listeners.values()),
      rulelists: byName(this.rulelists.values()) as L7RuleList[],
      rules: byName(this.rules.values()),
      routes: byName(this.routes.values()),
      clusters: byName(this.clusters.values()),
      endpoints: byName(this.endpoints.values()),
    };
  }
}

/** What observing a proxy that runs exactly `objects` would give (the fake's LiveState). */
export function liveOf(
  g: { readonly proxy: string; readonly admin: { readonly url: string } } & LiveObjects,
  extra: Partial<LiveState> = {},
): LiveState {
  return {
    proxy: g.proxy,
    adminUrl: g.admin.url,
    ours: objectsOf(g),
    theirs: [],
    sessions: [],
    zombies: [],
    fingerprint: 'fp-test',
    ...extra,
  };
}

/** Just the six object lists of a graph or live state, deep-copied. */
export function objectsOf(o: LiveObjects): LiveObjects {
  return clone({
    listeners: o.listeners,
    rulelists: o.rulelists,
    rules: o.rules,
    routes: o.routes,
    clusters: o.clusters,
    endpoints: o.endpoints,
  });
}
