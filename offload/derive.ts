// Derivation (pure): a proxy's compiled graph and its interfaces → the kernel redirect entries of
// every fully specified UDP path, and a reason for every listener or route that stays in userspace
// (DESIGN §6, docs/offload.md).
//
// A path is fully specified when both directions' 5-tuples are fixed by the configuration alone:
//   listener: UDP singleton: spec.address, spec.port, connect.address and connect.port
//   rule list: exactly one rule, no match, no rewrite, a route
//   route: no ingress or egress chain (retry settings are irrelevant: they only act on reconnects)
//   cluster: UDP with bind.address and bind.port, exactly one endpoint
// It yields a forward entry, client → listener ⇒ bind → endpoint:clusterport out of the interface
// whose subnet holds the endpoint, and a reverse entry, endpoint:clusterport → bind ⇒ listener →
// client out of the interface whose subnet holds the client.
import type { L7Cluster, L7Listener, ProxyGraph } from '../compiler/model/graph.ts';
import { MAX_ENTRIES } from './layout.ts';
import { inPrefix, isPort, parseCidr, parseIpv4, type Prefix } from './ipv4.ts';
import type {
  DeriveResult,
  Iface,
  IfaceRef,
  NotOffloaded,
  NotOffloadedCode,
  OffloadEntry,
  SocketAddr,
} from './model.ts';
import { keyId } from './codec.ts';

export interface DeriveOptions {
  /** capacity of the rules map; default MAX_ENTRIES (layout.ts) */
  readonly maxEntries?: number;
}

class Skip {
  constructor(
    readonly code: NotOffloadedCode,
    readonly reason: string,
  ) {}
}

interface IfacePrefix {
  readonly iface: IfaceRef;
  readonly prefix: Prefix;
}

export function deriveOffload(
  graph: ProxyGraph,
  ifaces: readonly Iface[],
  opts: DeriveOptions = {},
): DeriveResult {
  const prefixes: IfacePrefix[] = ifaces.flatMap((i) =>
    i.addresses.flatMap((a) => {
      const prefix = parseCidr(a);
      return prefix ? [{ iface: { name: i.name, ifindex: i.ifindex }, prefix }] : [];
    }),
  );
  const byName = <T extends { name: string }>(list: readonly T[]) => new Map(list.map((o) => [o.name, o]));
  const rulelists = byName(graph.rulelists);
  const rules = byName(graph.rules);
  const routes = byName(graph.routes);
  const clusters = byName(graph.clusters);

  const notOffloaded: NotOffloaded[] = [];
  const paths: { listener: L7Listener; routes: string[]; entries: [OffloadEntry, OffloadEntry] }[] = [];
  const usedRoutes = new Set<string>();

  for (const l of graph.listeners) {
    const lrules = (rulelists.get(l.rules)?.rules ?? []).map((r) => rules.get(r));
    const routeNames = lrules.flatMap((r) => (r?.action.route !== undefined ? [r.action.route] : []));
    for (const r of routeNames) usedRoutes.add(r);
    try {
      paths.push({ listener: l, routes: routeNames, entries: derivePath(l) });
    } catch (e) {
      if (!(e instanceof Skip)) throw e;
      notOffloaded.push(skipped(l.name, routeNames, e));
    }
  }
  for (const r of graph.routes)
    if (!usedRoutes.has(r.name))
      notOffloaded.push(
        skipped(undefined, [r.name], new Skip('unused-route', 'no listener uses this route')),
      );

  // Two paths claiming one 5-tuple cannot both be offloaded; neither is (the proxy sorts it out).
  const claims = new Map<string, number>();
  for (const p of paths)
    for (const e of p.entries) claims.set(keyId(e.match), (claims.get(keyId(e.match)) ?? 0) + 1);
  const entries: OffloadEntry[] = [];
  for (const p of paths) {
    const clash = p.entries.find((e) => claims.get(keyId(e.match))! > 1);
    if (clash)
      notOffloaded.push(
        skipped(
          p.listener.name,
          p.routes,
          new Skip('conflict', `another path also matches ${tupleText(clash.match)} (${clash.direction})`),
        ),
      );
    else entries.push(...p.entries);
  }

  const capacity = opts.maxEntries ?? MAX_ENTRIES;
  if (entries.length > capacity)
    return {
      entries: [],
      notOffloaded,
      error: {
        code: 'capacity',
        needed: entries.length,
        capacity,
        message: `${entries.length} offload entries (${entries.length / 2} paths) do not fit the map of ${capacity}: nothing is offloaded`,
      },
    };
  return { entries, notOffloaded };

  function skipped(listener: string | undefined, routeNames: readonly string[], s: Skip): NotOffloaded {
    const object = graph.origins[listener ?? routeNames[0] ?? '']?.object;
    return {
      ...(listener !== undefined ? { listener } : {}),
      routes: [...routeNames],
      ...(object ? { object } : {}),
      code: s.code,
      reason: s.reason,
    };
  }

  function derivePath(l: L7Listener): [OffloadEntry, OffloadEntry] {
    const spec = l.spec;
    if (spec.protocol !== 'UDP') throw new Skip('not-udp', `a ${spec.protocol} listener`);
    const connect = (spec.connect ?? {}) as { address?: unknown; port?: unknown };
    const mode = modeOf(l);
    if (mode === 'server')
      throw new Skip('server-mode', 'a UDP listener in server mode: its clients are only known at run time');
    if (typeof connect.address !== 'string' || !isPort(connect.port))
      throw new Skip('server-mode', 'no connect address and port: the client is only known at run time');
    if (typeof spec.address !== 'string')
      throw new Skip('no-listener-address', 'the listener has no address (it binds 0.0.0.0)');
    if (!isPort(spec.port)) throw new Skip('server-mode', 'the listener has no fixed port');
    const listenerAt = local('listener', { address: spec.address, port: spec.port });
    const client = peer('client', { address: connect.address, port: connect.port });

    const list = rulelists.get(l.rules);
    if (!list) throw new Skip('missing-object', `rule list ${l.rules} does not exist`);
    if (list.rules.length !== 1)
      throw new Skip(
        'rulelist',
        `the rule list has ${list.rules.length} rules; only a single rule is offloaded`,
      );
    const rule = rules.get(list.rules[0]!);
    if (!rule) throw new Skip('missing-object', `rule ${list.rules[0]} does not exist`);
    if (rule.match !== undefined) throw new Skip('match', 'the rule has a match condition');
    if (rule.action.rewrite?.length) throw new Skip('rewrite', 'the rule rewrites session metadata');
    if (rule.action.route === undefined) throw new Skip('not-a-route', 'the rule does not route (apply)');
    const route = routes.get(rule.action.route);
    if (!route) throw new Skip('missing-object', `route ${rule.action.route} does not exist`);
    if (route.ingress.length || route.egress.length)
      throw new Skip(
        'chain',
        `the route has ${route.ingress.length} ingress and ${route.egress.length} egress chain stages`,
      );
    const cluster = clusters.get(route.destination);
    if (!cluster) throw new Skip('missing-object', `cluster ${route.destination} does not exist`);
    if (cluster.spec.protocol !== 'UDP')
      throw new Skip('cluster-not-udp', `the destination is a ${cluster.spec.protocol} cluster`);
    const bind = (cluster.spec.bind ?? {}) as { address?: unknown; port?: unknown };
    if (typeof bind.address !== 'string' || !isPort(bind.port))
      throw new Skip(
        'no-fixed-bind',
        'the cluster has no bind address and port: its source is chosen at run time',
      );
    if (!isPort(cluster.spec.port)) throw new Skip('no-fixed-bind', 'the cluster has no port');
    const eps = graph.endpoints.filter((e) => e.cluster === cluster.name);
    if (eps.length !== 1)
      throw new Skip('endpoints', `the cluster has ${eps.length} endpoints; only exactly one is offloaded`);
    const bindAt = local('bind', { address: bind.address, port: bind.port });
    const endpoint = peer('endpoint', { address: eps[0]!.spec.address, port: endpointPort(cluster) });

    const names = { listener: l.name, route: route.name, cluster: cluster.name };
    const object = graph.origins[l.name]?.object;
    const common = { ...names, ...(object ? { object } : {}) };
    return [
      {
        direction: 'forward',
        match: { src: client.at, dst: listenerAt },
        rewrite: { src: bindAt, dst: endpoint.at },
        in: client.iface,
        out: endpoint.iface,
        ...common,
      },
      {
        direction: 'reverse',
        match: { src: endpoint.at, dst: bindAt },
        rewrite: { src: listenerAt, dst: client.at },
        in: endpoint.iface,
        out: client.iface,
        ...common,
      },
    ];
  }

  /** An address of this host (listener, bind): it must be on a known interface. */
  function local(what: string, at: SocketAddr): SocketAddr {
    const a = parseIpv4(at.address);
    if (a === undefined)
      throw new Skip('not-ipv4', `the ${what} address ${at.address} is not an IPv4 address`);
    if (!prefixes.some((p) => p.prefix.address === a))
      throw new Skip('address-not-local', `the ${what} address ${at.address} is on no known interface`);
    return at;
  }

  /** A remote peer (client, endpoint): the interface whose subnet holds it is where it is reached. */
  function peer(what: string, at: SocketAddr): { at: SocketAddr; iface: IfaceRef } {
    const a = parseIpv4(at.address);
    if (a === undefined)
      throw new Skip('not-ipv4', `the ${what} address ${at.address} is not an IPv4 address`);
    if (prefixes.some((p) => p.prefix.address === a))
      throw new Skip('local-peer', `the ${what} ${at.address} is an address of this host`);
    // The longest prefix wins, as in routing.
    const hit = prefixes
      .filter((p) => inPrefix(a, p.prefix))
      .sort((x, y) => y.prefix.length - x.prefix.length || x.iface.ifindex - y.iface.ifindex)[0];
    if (!hit) throw new Skip('no-interface', `no interface's subnet holds the ${what} ${at.address}`);
    return { at, iface: hit.iface };
  }
}

function modeOf(l: L7Listener): string | undefined {
  const fromSpec = (l.spec.options as { mode?: unknown } | undefined)?.mode;
  const fromListener = (l.options as { mode?: unknown } | undefined)?.mode;
  const m = fromSpec ?? fromListener;
  return typeof m === 'string' ? m : undefined;
}

/** l7mp connects every endpoint of a cluster on the cluster's port. */
function endpointPort(c: L7Cluster): number {
  return c.spec.port as number;
}

export function tupleText(t: { src: SocketAddr; dst: SocketAddr }): string {
  return `${t.src.address}:${t.src.port} → ${t.dst.address}:${t.dst.port}`;
}
