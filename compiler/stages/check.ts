// Stage 6, check: what the schema cannot see and the proxy would only show at run time — clashing
// ports, framing loss, unreachable rules, malformed predicates, crash triggers (facts §7).
import type { Diagnostics, PathSegment } from '../diagnostics/diagnostic.ts';
import type { Code } from '../diagnostics/catalogue.ts';
import { displayId, type FlatSpec, type RuleSpec, type TargetRef } from '../model/types.ts';
import { pointerProblem, predicateProblems } from '../lowering/predicates.ts';
import { BYTESTREAM, DATAGRAM, VIRTUAL_CLUSTERS, type ClusterDef, type Owner } from '../lowering/targets.ts';
import type { Placement } from '../lowering/placement.ts';
import type { Resolved } from './resolve.ts';
import { checkPorts } from './check-ports.ts';

const NAME_OK = /^[A-Za-z_][A-Za-z0-9_-]*$/;

function baseProtocol(spec: FlatSpec): string {
  return spec.protocol === 'JSONSocket' ? 'JSONSocket' : spec.protocol;
}

export function check(r: Resolved, placement: Placement, diags: Diagnostics): void {
  const targets = placement.resolver;
  const at = (o: Owner, path: readonly PathSegment[], code: Code, message: string, hint?: string) =>
    diags.add({
      code,
      file: o.src.file,
      document: o.src.document,
      path: [...o.src.base, ...path],
      message,
      ...(hint ? { hint } : {}),
    });

  // Definitions are shared by every reference to a Target: what is about the definition alone
  // (its endpoints, its protocol) is checked the first time it is seen, the rest per reference.
  const seenDefs = new Set<ClusterDef>();
  /** `label` names the target in messages, `where` is the reference (both: where `owner` wrote it) */
  const checkCluster = (
    def: ClusterDef,
    owner: Owner,
    where: readonly PathSegment[],
    label: string,
    role: 'destination' | 'chain',
    listener?: FlatSpec,
  ) => {
    const first = !seenDefs.has(def);
    seenDefs.add(def);
    const p = def.spec.protocol;
    if (first && VIRTUAL_CLUSTERS.includes(p) && def.endpoints.length > 0)
      at(
        def.owner,
        [...def.at, 'endpoints'],
        'L7C5010',
        `a ${p} cluster is virtual and takes no endpoints (l7mp 0.5.7 accepts them with 200 and then exits)`,
        'remove the endpoints',
      );
    if (!VIRTUAL_CLUSTERS.includes(p) && def.endpoints.length === 0)
      at(owner, where, 'L7C5011', `target ${label} has no endpoints: sessions routed to it will fail`);
    if (first && p === 'Stdio')
      at(
        def.owner,
        def.at,
        'L7C5015',
        "a Stdio cluster fails whenever the proxy's stdout is not a terminal (l7mp 0.5.7)",
      );
    if (p === 'Prometheus' && listener && ['TCP', 'UnixDomainSocket'].includes(listener.protocol))
      at(
        owner,
        where,
        'L7C5014',
        `a ${listener.protocol} listener routed to a Prometheus cluster crashes l7mp 0.5.7 on the first connection`,
        'serve Prometheus behind an HTTP listener',
      );
    if (first && def.loadbalancer?.policy === 'ConsistentHash') {
      const seen = new Set<string>();
      for (const e of def.endpoints)
        if (seen.has(e.address))
          at(
            def.owner,
            def.at,
            'L7C5017',
            `endpoint address ${e.address} appears twice; l7mp's hash ring keys on the address, so they collapse into one`,
          );
        else seen.add(e.address);
    }
    if (
      role === 'destination' &&
      listener &&
      DATAGRAM.includes(baseProtocol(listener)) &&
      BYTESTREAM.includes(p)
    )
      at(
        owner,
        where,
        'L7C5002',
        `a ${listener.protocol} listener carries datagrams, but ${p} is a byte stream: message boundaries are lost`,
        'use a datagram protocol (UDP, WebSocket, JSONSocket) on this path, or accept the framing loss',
      );
  };
  const checkTarget = (t: TargetRef, owner: Owner, role: 'destination' | 'chain', listener?: FlatSpec) => {
    const def = targets.cluster(t, owner);
    if (def && 'ref' in t) checkCluster(def, owner, t.ref.at, `"${t.ref.text}"`, role, listener);
    else if (def && 'inline' in t) checkCluster(def, owner, t.inline.at, '(inline)', role, listener);
  };

  const checkRule = (rule: RuleSpec, owner: Owner, listener?: FlatSpec) => {
    if (rule.name !== undefined && !NAME_OK.test(rule.name))
      at(
        owner,
        [...rule.at, 'name'],
        'L7C4006',
        `rule name "${rule.name}" cannot be part of an l7mp name (letters, digits, - and _ only, not starting with a digit)`,
      );
    if (rule.match !== undefined)
      for (const p of predicateProblems(rule.match, [...rule.at, 'match']))
        at(owner, p.at, 'L7C5007', p.message, p.hint);
    for (const rw of rule.rewrite) {
      const p = pointerProblem(rw.path);
      if (p)
        at(
          owner,
          [...rw.at, 'path'],
          'L7C5008',
          p,
          'rewrite paths are JSON pointers into the session metadata, e.g. /labels/session_id',
        );
    }
    if (rule.route && 'inline' in rule.route) {
      const rs = rule.route.inline;
      checkTarget(rs.destination, owner, 'destination', listener);
      for (const t of rs.ingress) checkTarget(t, owner, 'chain', listener);
      for (const t of rs.egress) checkTarget(t, owner, 'chain', listener);
    } else if (rule.route) {
      const route = r.route(rule.route.ref);
      if (route) {
        checkTarget(route.route.destination, route, 'destination', listener);
        for (const t of route.route.ingress) checkTarget(t, route, 'chain', listener);
        for (const t of route.route.egress) checkTarget(t, route, 'chain', listener);
      }
    }
  };

  for (const vs of r.model.virtualServices) {
    const rules = r.rulesOf(vs);
    const listener = vs.listener?.spec;
    if (listener?.protocol === 'UDP') {
      const c = listener.connect as { address?: string; port?: number } | undefined;
      const mode = (listener.options as { mode?: string } | undefined)?.mode;
      if (mode === 'singleton' && !(c?.address && c?.port))
        at(
          vs,
          [...vs.listener!.fieldsAt, 'connect'],
          'L7C5006',
          'a UDP singleton listener needs both connect.address and connect.port (l7mp rejects it otherwise)',
        );
    }
    if (listener && rules.length > 0) {
      if (r.selectedServices(vs.selector).length > 0)
        at(
          vs,
          ['spec', 'selector'],
          'L7C5003',
          `virtual service "${displayId(vs.id)}" has rules, but its selector picks the naked service "${displayId(r.selectedServices(vs.selector)[0]!.id)}", which has no proxy to run them`,
          'select proxies (by label or matchService), or drop the rules to make it a stub',
        );
      else if (r.selectedProxies(vs.selector).length === 0)
        at(
          vs,
          vs.selector ? ['spec', 'selector'] : ['spec'],
          'L7C5004',
          `virtual service "${displayId(vs.id)}" selects no proxy, so it is deployed nowhere`,
        );
    }
    let catchAll: RuleSpec | undefined;
    for (const placed of rules) {
      if (catchAll)
        at(
          placed.owner,
          placed.rule.at,
          'L7C5005',
          'this rule comes after a rule with no match (a catch-all), so it never matches',
          'move the catch-all rule last',
        );
      if (placed.rule.match === undefined) catchAll ??= placed.rule;
    }
    for (const rule of vs.rules) checkRule(rule, vs, listener);
  }
  for (const ro of r.model.rules) {
    const vs = r.virtualService(ro.virtualService);
    checkRule(ro.rule, ro, vs?.listener?.spec);
  }
  for (const t of r.model.targets) {
    if (t.selector && r.selectedProxies(t.selector).length === 0)
      at(t, ['spec', 'selector'], 'L7C5004', `target "${displayId(t.id)}" selects no proxy`);
    // a Target's own cluster, through the definition its routes and deployment share
    if (t.cluster) checkCluster(targets.ofTarget(t)!, t, t.cluster.at, '(inline)', 'chain');
  }

  // Two listeners may not bind the same port (or socket file), nor a REST controller's, on a proxy
  // or across proxies that share an address.
  checkPorts(r.proxies, placement.listeners, at);
}
