// The reconciler's values (DESIGN §4): what a proxy has (LiveState), what to do about it (Plan).
// A plan is a value: the diff produces it, renderers print it, apply executes exactly it.
import type {
  GraphKind,
  L7Cluster,
  L7Endpoint,
  L7Listener,
  L7Route,
  L7Rule,
  L7RuleList,
} from '../../compiler/model/graph.ts';
import type { OffloadPlan } from '../../offload/proxy-offload.ts';

/** Our objects on a proxy, normalised to the compiler's graph shapes (so live and desired compare). */
export interface LiveObjects {
  readonly listeners: readonly L7Listener[];
  readonly rulelists: readonly L7RuleList[];
  readonly rules: readonly L7Rule[];
  readonly routes: readonly L7Route[];
  readonly clusters: readonly L7Cluster[];
  /** with the cluster each belongs to (GET /clusters?recursive=true) */
  readonly endpoints: readonly L7Endpoint[];
}

export interface LiveSession {
  readonly name: string;
  /** source.origin: the listener that created it */
  readonly listener: string;
  /** destination.origin and ingress/egress stage origins: clusters it uses (where known) */
  readonly clusters: readonly string[];
  readonly status: string;
}

export interface ObjectRef {
  readonly kind: GraphKind;
  readonly name: string;
}

export interface LiveState {
  readonly proxy: string;
  readonly adminUrl: string;
  /** objects whose names carry our marker */
  readonly ours: LiveObjects;
  /** everything else (the controller listener, l7mp-controller, objects made by hand): never touched */
  readonly theirs: readonly ObjectRef[];
  /** data sessions (the REST API's own HTTP sessions are left out) */
  readonly sessions: readonly LiveSession[];
  /** UDP singleton listeners of ours with no session: dead for good until re-created (facts §4.1) */
  readonly zombies: readonly string[];
  /** hash of the observed objects: a saved plan applies only while this still matches */
  readonly fingerprint: string;
}

/** One REST call, exactly as apply will send it. */
export interface Call {
  readonly method: 'POST' | 'DELETE';
  /** path below the admin URL, names URL-encoded, e.g. `/api/v1/clusters/l7c.C.default.x.1a2b3c4d` */
  readonly path: string;
  /** request body (sent as application/json) */
  readonly body?: unknown;
}

export type Action =
  | 'create' // a new object
  | 'delete' // an object that is no longer wanted (always non-recursive)
  | 'add-endpoint' // in place, on an existing cluster
  | 'remove-endpoint'
  | 'insert-rule' // in place, into an existing rulelist
  | 'remove-rule'
  | 'replace-delete' // the delete half of a replacement (a listener whose spec changed, a zombie)
  | 'replace-create'; // the create half

export interface PlannedCall {
  readonly action: Action;
  readonly kind: GraphKind;
  /** the object's name (for rulelist edits: the rule's name; `rulelist` says which list) */
  readonly name: string;
  readonly rulelist?: string;
  readonly position?: number;
  /** why, in words: which user object and what changed ("VirtualService/gateway: port 15053 → 15063") */
  readonly reason: string;
  /** live sessions this call ends, predicted from the session list */
  readonly sessionsCut: number;
  /** true when the change was made outside l7mp-compile and this call puts it back */
  readonly drift?: boolean;
  readonly call: Call;
  /** the calls that undo this one, in order (apply's journal): one call, except for a deleted
   * cluster, which comes back with its endpoints (deleting a cluster drops them) */
  readonly undo?: readonly Call[];
  /** on the create half of a replacement: the name of the object it replaces (the same name for a
   * zombie or a drifted object), so renderers can pair the halves and show old → new */
  readonly replaces?: string;
  /** the desired (create) or live (delete) object, for renderers to show changed fields */
  readonly object?: unknown;
}

export interface ProxyPlan {
  readonly proxy: string;
  readonly adminUrl: string;
  readonly fingerprint: string;
  readonly calls: readonly PlannedCall[];
  /** the kernel offload's part (a Proxy with `spec.offload`): written after the REST calls */
  readonly offload?: OffloadPlan;
}

export interface PlanSummary {
  readonly add: number;
  readonly change: number;
  readonly replace: number;
  readonly destroy: number;
  readonly sessionsCut: number;
}

export const PLAN_FORMAT_VERSION = '1';

export interface Plan {
  readonly format_version: typeof PLAN_FORMAT_VERSION;
  /** content hash of the compiled graphs the plan was made from */
  readonly desired: string;
  /** Git commit or directory content hash, when known */
  readonly revision?: string;
  readonly proxies: readonly ProxyPlan[];
  /** proxies that could not be observed: their part is skipped */
  readonly unreachable: readonly {
    readonly proxy: string;
    readonly adminUrl: string;
    readonly error: string;
  }[];
}
