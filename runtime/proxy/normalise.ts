// Normalise what the proxy shows back into the compiler's graph shapes (DESIGN §4.2), so live and
// desired compare with `canonical()`: undo what the proxy adds or renames (facts §2.2), map
// endpoints to their clusters, split ours from theirs, keep only data sessions, find zombie UDP
// singleton listeners. Pure: observe.ts does the reading.
import { createHash } from 'node:crypto';
import type {
  L7Cluster,
  L7Endpoint,
  L7Listener,
  L7Route,
  L7Rule,
  L7RuleList,
} from '../../compiler/model/graph.ts';
import type { FlatSpec, LoadBalancer, Retry } from '../../compiler/model/types.ts';
import { canonical, sortKeys } from '../../compiler/lowering/canonical.ts';
import { isOurs } from '../../compiler/lowering/naming.ts';
import type { LiveObjects, LiveSession, ObjectRef } from '../reconcile/types.ts';

/** The apply lock (lock.ts): a rulelist that is neither ours to reconcile nor theirs. */
export const LOCK_NAME = 'l7c.lock';

/** The lock and anything the locking protocol makes next to it. */
export function isLockObject(name: string): boolean {
  return name === LOCK_NAME || name.startsWith(`${LOCK_NAME}.`);
}

/** The applied-revision marker (runtime/watch/revision-marker.ts): like the lock, never reconciled. */
export const REVISION_MARKER = 'l7c.revision';

export function isRevisionMarker(name: string): boolean {
  return name === REVISION_MARKER;
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const deepEqual = (a: unknown, b: unknown) => canonical(a) === canonical(b);
const byName = <T extends { readonly name: string }>(a: T, b: T) =>
  a.name < b.name ? -1 : a.name > b.name ? 1 : 0;

/** The raw per-kind collections as the proxy returns them. */
export interface RawLive {
  readonly listeners: readonly unknown[];
  /** from `GET /api/v1/clusters?recursive=true`: each cluster with its endpoint array */
  readonly clusters: readonly unknown[];
  readonly rulelists: readonly unknown[];
  readonly rules: readonly unknown[];
  readonly routes: readonly unknown[];
  /** undefined when the proxy could not list them (strict mode with chained sessions, facts §6) */
  readonly sessions: readonly unknown[] | undefined;
}

// ---------------------------------------------------------------------------------------------
// Per object

/** Listener: `options: {track: 0}` is what the proxy shows when none was given → absent. */
export function normaliseListener(raw: unknown): L7Listener {
  const l = isObj(raw) ? raw : {};
  const options = isObj(l.options) && !deepEqual(l.options, { track: 0 }) ? sortKeys(l.options) : undefined;
  return {
    name: String(l.name),
    spec: sortKeys((isObj(l.spec) ? l.spec : {}) as FlatSpec),
    // non-recursive reads show the rulelist's name; anything else (garbage) is kept as text
    rules: typeof l.rules === 'string' ? l.rules : canonical(l.rules),
    ...(options && Object.keys(options).length ? { options } : {}),
  };
}

export function normaliseRuleList(raw: unknown): L7RuleList {
  const r = isObj(raw) ? raw : {};
  const rules = Array.isArray(r.rules) ? r.rules.map((x) => (typeof x === 'string' ? x : canonical(x))) : [];
  return { name: String(r.name), rules }; // order kept: it is the match order
}

/** Rule: `match: {match: "*"}` (the wildcard) → absent; action keeps only route/rewrite/apply. */
export function normaliseRule(raw: unknown): L7Rule {
  const r = isObj(raw) ? raw : {};
  const a = isObj(r.action) ? r.action : {};
  const match = isObj(r.match) && !deepEqual(r.match, { match: '*' }) ? sortKeys(r.match) : undefined;
  const action: { route?: string; rewrite?: { path: string; value: unknown }[]; apply?: string } = {};
  if (a.route !== undefined) action.route = typeof a.route === 'string' ? a.route : canonical(a.route);
  if (Array.isArray(a.rewrite)) action.rewrite = sortKeys(a.rewrite) as { path: string; value: unknown }[];
  if (a.apply !== undefined) action.apply = typeof a.apply === 'string' ? a.apply : canonical(a.apply);
  return { name: String(r.name), ...(match ? { match } : {}), action };
}

export const DEFAULT_RETRY: Retry = { retry_on: 'never', num_retries: 1, timeout: 2000 };

/** Route: chains stay arrays (in order), the default retry → absent (a partial retry is kept). */
export function normaliseRoute(raw: unknown): L7Route {
  const r = isObj(raw) ? raw : {};
  const chain = (v: unknown) =>
    Array.isArray(v) ? v.map((x) => (typeof x === 'string' ? x : canonical(x))) : [];
  const dest = r.destination ?? r.cluster;
  const retry =
    isObj(r.retry) && !deepEqual(r.retry, DEFAULT_RETRY)
      ? (sortKeys(r.retry) as unknown as Retry)
      : undefined;
  return {
    name: String(r.name),
    destination: typeof dest === 'string' ? dest : canonical(dest),
    ingress: chain(r.ingress),
    egress: chain(r.egress),
    ...(retry ? { retry } : {}),
  };
}

/** The defaults virtual clusters get when their spec is rebuilt (facts §2.2). */
const VIRTUAL_SPEC_DEFAULTS: Readonly<Record<string, Obj>> = {
  Logger: { log_file: '-', log_prefix: '' },
};

/** Load balancer: Trivial/None (the defaults) → absent; HashRing → ConsistentHash; `<RANDOM>` key → absent. */
export function normaliseLoadBalancer(raw: unknown): LoadBalancer | undefined {
  if (!isObj(raw)) return undefined;
  const policy = str(raw.policy);
  if (policy === undefined || policy === 'Trivial' || policy === 'None') return undefined;
  const key = str(raw.key);
  const out: Obj = { ...raw, policy: policy === 'HashRing' ? 'ConsistentHash' : policy };
  if (key === undefined || key === '<RANDOM>') delete out.key;
  return sortKeys(out) as unknown as LoadBalancer;
}

/**
 * Cluster (from a recursive read): endpoints become L7Endpoints carrying the cluster's name
 * (virtual clusters' `<VIRTUAL>` pseudo-endpoint is dropped); the endpoint count, `options`
 * (never shown by the proxy) and the default load balancer are dropped.
 */
export function normaliseCluster(raw: unknown): { cluster: L7Cluster; endpoints: L7Endpoint[] } {
  const c = isObj(raw) ? raw : {};
  const name = String(c.name);
  const spec: Obj = { ...(isObj(c.spec) ? c.spec : {}) };
  const defaults = VIRTUAL_SPEC_DEFAULTS[String(spec.protocol)];
  if (defaults) for (const [k, v] of Object.entries(defaults)) if (deepEqual(spec[k], v)) delete spec[k];
  const loadbalancer = normaliseLoadBalancer(c.loadbalancer);
  const endpoints = (Array.isArray(c.endpoints) ? c.endpoints : [])
    .filter((e) => !(isObj(e) && isObj(e.spec) && e.spec.address === '<VIRTUAL>'))
    .map((e) => normaliseEndpoint(e, name));
  return {
    cluster: { name, spec: sortKeys(spec as FlatSpec), ...(loadbalancer ? { loadbalancer } : {}) },
    endpoints,
  };
}

/** Endpoint: `weight: 1` (the default) → absent; `spec` → `{address}` (the proxy ignores the rest). */
export function normaliseEndpoint(raw: unknown, cluster: string): L7Endpoint {
  const e = isObj(raw) ? raw : {};
  const spec = isObj(e.spec) ? e.spec : {};
  const weight = typeof e.weight === 'number' && e.weight !== 1 ? e.weight : undefined;
  return {
    name: String(e.name),
    cluster,
    spec: { address: String(spec.address) },
    ...(weight !== undefined ? { weight } : {}),
  };
}

/** `ingress`/`egress` stages serialise as null in 0.5.7 (facts §2.4); take their origin when present. */
export function normaliseSession(raw: unknown): LiveSession | undefined {
  if (!isObj(raw) || typeof raw.name !== 'string') return undefined;
  const source = isObj(raw.source) ? raw.source : {};
  const clusters = new Set<string>();
  const add = (stage: unknown) => {
    if (isObj(stage) && typeof stage.origin === 'string') clusters.add(stage.origin);
  };
  add(raw.destination);
  for (const s of Array.isArray(raw.ingress) ? raw.ingress : []) add(s);
  for (const s of Array.isArray(raw.egress) ? raw.egress : []) add(s);
  return {
    name: raw.name,
    listener: str(source.origin) ?? '',
    clusters: [...clusters].sort(),
    status: str(raw.status) ?? 'UNKNOWN',
  };
}

/**
 * A UDP listener in singleton mode, exactly as the proxy decides it (listener.js): `spec.options.mode`
 * if given, else singleton when `connect.address` and `connect.port` are both set.
 */
export function isUdpSingleton(l: L7Listener): boolean {
  const spec = l.spec as Obj;
  if (spec.protocol !== 'UDP') return false;
  const mode = isObj(spec.options) ? spec.options.mode : undefined;
  const connect = isObj(spec.connect) ? spec.connect : undefined;
  if (mode) return mode === 'singleton';
  return Boolean(connect && connect.address && connect.port);
}

/**
 * The same normalisation for objects in the compiler's shapes (desired, or already live): explicit
 * defaults (`weight: 1`, `loadbalancer: {policy: Trivial}`, the default retry, listener `options:
 * {track: 0}`, a Logger's `log_file: "-"`) become absent, keys are sorted, lists sorted by name.
 * Idempotent, so a diff can run both sides through it and compare with `canonical()`.
 */
export function normaliseObjects(o: LiveObjects): LiveObjects {
  return {
    listeners: o.listeners.map(normaliseListener).sort(byName),
    rulelists: o.rulelists.map(normaliseRuleList).sort(byName),
    rules: o.rules.map(normaliseRule).sort(byName),
    routes: o.routes.map(normaliseRoute).sort(byName),
    clusters: o.clusters.map((c) => normaliseCluster(c).cluster).sort(byName),
    endpoints: o.endpoints.map((e) => normaliseEndpoint(e, e.cluster)).sort(byName),
  };
}

// ---------------------------------------------------------------------------------------------
// The whole proxy

export interface Normalised {
  readonly ours: LiveObjects;
  readonly theirs: readonly ObjectRef[];
  readonly sessions: readonly LiveSession[];
  readonly zombies: readonly string[];
  /** true when the session list could not be read (zombies are then unknown and left empty) */
  readonly sessionsUnknown: boolean;
}

export function normaliseLive(raw: RawLive): Normalised {
  const listeners = raw.listeners.map(normaliseListener);
  const rulelists = raw.rulelists.map(normaliseRuleList);
  const rules = raw.rules.map(normaliseRule);
  const routes = raw.routes.map(normaliseRoute);
  const clusters: L7Cluster[] = [];
  const endpoints: L7Endpoint[] = [];
  for (const c of raw.clusters) {
    const n = normaliseCluster(c);
    clusters.push(n.cluster);
    endpoints.push(...n.endpoints);
  }

  const theirs: ObjectRef[] = [];
  const split = <T extends { readonly name: string }>(kind: ObjectRef['kind'], list: readonly T[]): T[] => {
    const mine: T[] = [];
    for (const o of list) {
      if (isLockObject(o.name) || isRevisionMarker(o.name)) continue;
      if (isOurs(o.name)) mine.push(o);
      else theirs.push({ kind, name: o.name });
    }
    return mine.sort(byName);
  };
  const ours: LiveObjects = {
    listeners: split('listeners', listeners),
    rulelists: split('rulelists', rulelists),
    rules: split('rules', rules),
    routes: split('routes', routes),
    clusters: split('clusters', clusters),
    endpoints: split('endpoints', endpoints),
  };
  theirs.sort((a, b) =>
    a.kind < b.kind ? -1 : a.kind > b.kind ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );

  // Data sessions: those of our listeners (also of ones since deleted: TCP and UDP-server sessions
  // outlive a non-recursive listener delete), plus sessions of anyone's listener that pass through
  // our clusters. The REST API's own HTTP sessions (controller listener → L7mpController) are
  // neither, so they are left out.
  const ourClusters = new Set(ours.clusters.map((c) => c.name));
  const sessions = (raw.sessions ?? [])
    .map(normaliseSession)
    .filter((s): s is LiveSession => s !== undefined)
    .filter((s) => isOurs(s.listener) || s.clusters.some((c) => ourClusters.has(c)))
    .sort(byName);

  const withSession = new Set(sessions.filter((s) => s.status !== 'DESTROYED').map((s) => s.listener));
  const zombies =
    raw.sessions === undefined
      ? []
      : ours.listeners
          .filter(isUdpSingleton)
          .filter((l) => !withSession.has(l.name))
          .map((l) => l.name);

  return { ours, theirs, sessions, zombies, sessionsUnknown: raw.sessions === undefined };
}

/**
 * The state a saved plan depends on: our objects (sorted, canonical), the names of everyone
 * else's objects and which of our listeners are zombies. Sessions of live traffic and the apply
 * lock are not part of it, so a plan stays applicable while traffic comes and goes.
 */
export function fingerprintOf(n: Pick<Normalised, 'ours' | 'theirs' | 'zombies'>): string {
  const doc = {
    ours: n.ours,
    theirs: n.theirs.map((t) => `${t.kind}/${t.name}`),
    zombies: [...n.zombies].sort(),
  };
  return `sha256:${createHash('sha256').update(canonical(doc)).digest('hex')}`;
}
