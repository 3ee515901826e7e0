// The normalised model: every accepted shape of DESIGN §1 reduced to one form. Stages after
// normalise never see the alternative shapes. `at` fields are document paths for diagnostics.
import type { PathSegment } from '../diagnostics/diagnostic.ts';
import type { Kind, SourceRef } from './raw.ts';

export type Path = readonly PathSegment[];

/** A typed address: never split strings after normalisation. */
export interface ObjectId {
  readonly kind: Kind;
  readonly namespace: string;
  readonly name: string;
}

export function idKey(id: ObjectId): string {
  return `${id.kind}/${id.namespace}/${id.name}`;
}

export function displayId(id: { namespace: string; name: string }): string {
  return id.namespace === 'default' ? id.name : `${id.name}.${id.namespace}`;
}

/** A string reference as written, resolved against the referrer's namespace. */
export interface Ref {
  readonly name: string;
  readonly namespace: string;
  readonly text: string;
  readonly at: Path;
}

export interface Requirement {
  readonly key: string;
  readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  readonly values: readonly string[];
}

export interface Selector {
  readonly matchLabels: Readonly<Record<string, string>>;
  readonly matchExpressions: readonly Requirement[];
  readonly matchService?: string;
  readonly matchNamespace?: string;
  readonly at: Path;
}

/** l7mp's flat spec form: `{protocol, ...fields}`; transports are nested flat specs too. */
export interface FlatSpec {
  readonly protocol: string;
  readonly [field: string]: unknown;
}

export interface LoadBalancer {
  readonly policy: 'Trivial' | 'ConsistentHash';
  readonly key?: string;
}

export type Endpoint =
  | {
      readonly kind: 'static';
      readonly address: string;
      readonly port?: number;
      readonly weight?: number;
      readonly at: Path;
    }
  | { readonly kind: 'selector'; readonly selector: Selector; readonly at: Path };

export interface InlineTarget {
  readonly spec: FlatSpec;
  readonly endpoints: readonly Endpoint[];
  readonly loadbalancer?: LoadBalancer;
  readonly options?: Readonly<Record<string, unknown>>;
  readonly at: Path;
}

export type TargetRef = { readonly ref: Ref } | { readonly inline: InlineTarget };

export interface Retry {
  readonly retry_on: string;
  readonly num_retries?: number;
  readonly timeout?: number;
}

export interface RouteSpec {
  readonly destination: TargetRef;
  readonly ingress: readonly TargetRef[];
  readonly egress: readonly TargetRef[];
  readonly retry?: Retry;
  readonly at: Path;
}

export type RouteRef = { readonly ref: Ref } | { readonly inline: RouteSpec };

export interface Rewrite {
  readonly path: string;
  readonly value: unknown;
  readonly at: Path;
}

export interface RuleSpec {
  readonly name?: string;
  readonly match?: Readonly<Record<string, unknown>>;
  readonly route?: RouteRef;
  readonly rewrite: readonly Rewrite[];
  readonly apply?: string;
  readonly at: Path;
}

interface Base {
  readonly id: ObjectId;
  readonly src: SourceRef;
  readonly labels: Readonly<Record<string, string>>;
}

export interface VirtualService extends Base {
  readonly selector?: Selector;
  readonly listener?: {
    readonly name?: string;
    readonly spec: FlatSpec;
    readonly options?: Readonly<Record<string, unknown>>;
    readonly at: Path;
    /** where the protocol's fields (port, connect, …) are written: inside `UDP:` in the keyed form */
    readonly fieldsAt: Path;
    /** the same for a JSONSocket's transport */
    readonly transportFieldsAt?: Path;
  };
  readonly rules: readonly RuleSpec[];
}

export interface Target extends Base {
  readonly selector?: Selector;
  readonly cluster?: InlineTarget;
  readonly linkedVirtualService?: Ref;
}

export interface Route extends Base {
  readonly route: RouteSpec;
}

export interface Rule extends Base {
  readonly virtualService: Ref;
  readonly position?: number;
  readonly rule: RuleSpec;
}

export interface Proxy extends Base {
  readonly admin: {
    readonly url: string;
    readonly headers?: Readonly<Record<string, string>>;
    readonly tls?: Readonly<Record<string, unknown>>;
  };
  readonly address: string;
  readonly services: readonly string[];
  /** present: plan and apply also keep the kernel offload's maps (docs/offload.md) */
  readonly offload?: { readonly netns?: string; readonly pinDir?: string };
}

export interface Service extends Base {
  readonly spec: FlatSpec;
  readonly endpoints: readonly { readonly address: string; readonly port?: number }[];
}

export interface Model {
  readonly virtualServices: readonly VirtualService[];
  readonly targets: readonly Target[];
  readonly routes: readonly Route[];
  readonly rules: readonly Rule[];
  readonly proxies: readonly Proxy[];
  readonly services: readonly Service[];
}
