// The offload's values: what derivation produces, what the maps hold, what a sync does. Plain data,
// so plans and status have a JSON form and tests compare values.

/** An IPv4 address (dotted quad) and a UDP port. */
export interface SocketAddr {
  readonly address: string;
  readonly port: number;
}

/** A UDP 5-tuple (the protocol is always UDP): what a packet carries, or what it is rewritten to. */
export interface FiveTuple {
  readonly src: SocketAddr;
  readonly dst: SocketAddr;
}

/** A network interface of the proxy's namespace. */
export interface Iface {
  readonly name: string;
  readonly ifindex: number;
  /** its IPv4 addresses with prefix length, e.g. `10.200.1.1/24` */
  readonly addresses: readonly string[];
}

export interface IfaceRef {
  readonly name: string;
  readonly ifindex: number;
}

export type Direction = 'forward' | 'reverse';

/** One redirect rule: a packet whose 5-tuple is `match` is rewritten to `rewrite` and sent out of `out`. */
export interface OffloadEntry {
  /** forward: client → listener becomes bind → endpoint; reverse: the replies */
  readonly direction: Direction;
  readonly match: FiveTuple;
  readonly rewrite: FiveTuple;
  /** where matching packets arrive: the program must be attached to its ingress */
  readonly in: IfaceRef;
  readonly out: IfaceRef;
  /** the l7mp objects of the path, and the user object it came from */
  readonly listener: string;
  readonly route: string;
  readonly cluster: string;
  readonly object?: string;
}

/** Why a listener (or a route no listener uses) stays in userspace. Codes are stable; text is not. */
export type NotOffloadedCode =
  | 'not-udp' // the listener is not a UDP listener
  | 'server-mode' // UDP listener without connect address+port, or options.mode: server
  | 'no-listener-address' // no spec.address: bound to 0.0.0.0, the local address is not fixed
  | 'not-ipv4' // an address is not an IPv4 literal (IPv6, a host name)
  | 'address-not-local' // the listener or bind address is on no known interface
  | 'no-interface' // no interface's subnet holds the client or the endpoint
  | 'local-peer' // the client or endpoint is an address of this host
  | 'rulelist' // missing rule list, or not exactly one rule
  | 'match' // the rule has a match condition
  | 'rewrite' // the rule rewrites metadata
  | 'not-a-route' // the rule has no route (apply, or nothing)
  | 'missing-object' // a referenced route, cluster or endpoint does not exist
  | 'chain' // the route has ingress or egress chains
  | 'cluster-not-udp' // the destination is not a UDP cluster
  | 'no-fixed-bind' // the cluster has no bind address and port
  | 'endpoints' // the cluster has no or more than one endpoint
  | 'conflict' // two paths would install the same 5-tuple
  | 'unused-route'; // no listener uses the route

export interface NotOffloaded {
  /** the listener; absent for an unused route */
  readonly listener?: string;
  /** the routes the listener's rules name (or the unused route) */
  readonly routes: readonly string[];
  readonly object?: string;
  readonly code: NotOffloadedCode;
  readonly reason: string;
}

export interface CapacityError {
  readonly code: 'capacity';
  readonly needed: number;
  readonly capacity: number;
  readonly message: string;
}

export interface DeriveResult {
  /** empty when `error` is set: never a partial set */
  readonly entries: readonly OffloadEntry[];
  readonly notOffloaded: readonly NotOffloaded[];
  readonly error?: CapacityError;
}
