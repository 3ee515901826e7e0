// The REST calls of l7mp 0.5.7 (facts §3.1), built from graph objects. The only place that knows
// paths and body shapes: every object goes by name (nothing inline, so the proxy never invents a
// name), a cluster never carries endpoints (facts C1: a failing inline endpoint crashes the
// proxy), a rule never carries the dumped wildcard `{match: "*"}` (facts Q1: it never matches),
// and every delete is non-recursive (recursive deletes end sessions, facts §4.5).
import type {
  GraphKind,
  L7Cluster,
  L7Endpoint,
  L7Listener,
  L7Route,
  L7Rule,
  L7RuleList,
} from '../../compiler/model/graph.ts';
import type { Call } from '../reconcile/types.ts';

const API = '/api/v1';
const enc = encodeURIComponent;

/** The body key of each kind (`{"listener": {...}}`, facts §3.1). */
const WRAPPER: Record<GraphKind, string> = {
  listeners: 'listener',
  rulelists: 'rulelist',
  rules: 'rule',
  routes: 'route',
  clusters: 'cluster',
  endpoints: 'endpoint',
};

const isWildcard = (m: unknown): boolean =>
  m === '*' ||
  (typeof m === 'object' && m !== null && Object.keys(m).length === 1 && (m as any).match === '*');

/** The object as the proxy takes it: known fields only, optional ones left out when absent. */
export function restObject(kind: GraphKind, o: unknown): Record<string, unknown> {
  switch (kind) {
    case 'listeners': {
      const l = o as L7Listener;
      return { name: l.name, spec: l.spec, rules: l.rules, ...(l.options ? { options: l.options } : {}) };
    }
    case 'rulelists': {
      const rl = o as L7RuleList;
      return { name: rl.name, rules: [...rl.rules] };
    }
    case 'rules': {
      const r = o as L7Rule;
      return {
        name: r.name,
        ...(r.match && !isWildcard(r.match) ? { match: r.match } : {}),
        action: r.action,
      };
    }
    case 'routes': {
      const r = o as L7Route;
      return {
        name: r.name,
        destination: r.destination,
        ingress: [...r.ingress],
        egress: [...r.egress],
        ...(r.retry ? { retry: r.retry } : {}),
      };
    }
    case 'clusters': {
      const c = o as L7Cluster;
      return {
        name: c.name,
        spec: c.spec,
        ...(c.loadbalancer ? { loadbalancer: c.loadbalancer } : {}),
        ...(c.options ? { options: c.options } : {}),
      };
    }
    case 'endpoints': {
      const e = o as L7Endpoint;
      return {
        name: e.name,
        spec: { address: e.spec.address },
        ...(e.weight !== undefined ? { weight: e.weight } : {}),
      };
    }
  }
}

/** Creates an object; an endpoint is added to its cluster. */
export function createCall(kind: GraphKind, o: { readonly name: string }): Call {
  const body = { [WRAPPER[kind]]: restObject(kind, o) };
  if (kind === 'endpoints') {
    return { method: 'POST', path: `${API}/clusters/${enc((o as L7Endpoint).cluster)}/endpoints`, body };
  }
  return { method: 'POST', path: `${API}/${kind}`, body };
}

/** Deletes an object, never recursively (a cluster's endpoints go with it). */
export function deleteCall(kind: GraphKind, name: string): Call {
  return { method: 'DELETE', path: `${API}/${kind}/${enc(name)}` };
}

/** Inserts a rule reference at `position` (0 ≤ position ≤ length) of a rulelist. */
export function insertRuleCall(rulelist: string, rule: string, position: number): Call {
  return { method: 'POST', path: `${API}/rulelists/${enc(rulelist)}/rules/${position}`, body: { rule } };
}

/**
 * Removes a rule reference, by name or by position. The proxy reads a segment that starts with a
 * digit as a position (facts L6; `parseInt`, so a sign counts too), and by name it removes the first occurrence, so callers pass a
 * name only when it is unambiguous.
 */
export function removeRuleCall(rulelist: string, at: string | number): Call {
  return {
    method: 'DELETE',
    path: `${API}/rulelists/${enc(rulelist)}/rules/${typeof at === 'number' ? at : enc(at)}`,
  };
}

/** A name may go in the path of a rule removal when the proxy will not read it as a position. */
export const removableByName = (name: string): boolean => name.length > 0 && !/^[+-]?[0-9]/.test(name);
