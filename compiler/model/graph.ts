// The compiler's output: one flat, fully named l7mp object graph per proxy (DESIGN §3). Every
// reference is a name; nothing is inline, so the proxy never invents a name.
import type { FlatSpec, LoadBalancer, Retry } from './types.ts';

export interface L7Listener {
  readonly name: string;
  readonly spec: FlatSpec;
  readonly rules: string;
  readonly options?: Readonly<Record<string, unknown>>;
}
export interface L7RuleList {
  readonly name: string;
  readonly rules: readonly string[];
}
export interface L7Rule {
  readonly name: string;
  readonly match?: Readonly<Record<string, unknown>>;
  readonly action: {
    readonly route?: string;
    readonly rewrite?: readonly { readonly path: string; readonly value: unknown }[];
    readonly apply?: string;
  };
}
export interface L7Route {
  readonly name: string;
  readonly destination: string;
  readonly ingress: readonly string[];
  readonly egress: readonly string[];
  readonly retry?: Retry;
}
export interface L7Cluster {
  readonly name: string;
  readonly spec: FlatSpec;
  readonly loadbalancer?: LoadBalancer;
  readonly options?: Readonly<Record<string, unknown>>;
}
export interface L7Endpoint {
  readonly name: string;
  readonly cluster: string;
  readonly spec: { readonly address: string };
  readonly weight?: number;
}

/** Where a lowered object came from: shown in plans ("because of ...") and graph output. */
export interface Origin {
  /** `Kind/name[.namespace]` of the user object that produced it (no file: renaming files changes nothing) */
  readonly object: string;
}

export interface ProxyGraph {
  readonly proxy: string;
  readonly namespace: string;
  readonly admin: { readonly url: string };
  readonly address: string;
  readonly listeners: readonly L7Listener[];
  readonly rulelists: readonly L7RuleList[];
  readonly rules: readonly L7Rule[];
  readonly routes: readonly L7Route[];
  readonly clusters: readonly L7Cluster[];
  readonly endpoints: readonly L7Endpoint[];
  /** l7mp object name → origin */
  readonly origins: Readonly<Record<string, Origin>>;
}

export const GRAPH_KINDS = ['listeners', 'rulelists', 'rules', 'routes', 'clusters', 'endpoints'] as const;
export type GraphKind = (typeof GRAPH_KINDS)[number];
