// The one catalogue of every diagnostic the compiler can produce. Codes are stable: tests, docs and
// users' CI filters refer to them. Never reuse or renumber a code; add new ones at the end of a range.
//   L7C1xxx  input files (size, encoding, binary)
//   L7C2xxx  syntax (YAML, CUE)
//   L7C3xxx  schema (kinds, fields, types, shapes)
//   L7C4xxx  references and names
//   L7C5xxx  semantic checks on the resolved model
export type Severity = 'error' | 'warning' | 'info';

export interface CatalogueEntry {
  readonly severity: Severity;
  /** One-line summary for docs; the message of each diagnostic is more specific. */
  readonly title: string;
}

export const catalogue = {
  // input files
  L7C1001: { severity: 'error', title: 'file is too large' },
  L7C1002: { severity: 'error', title: 'file is binary' },
  L7C1003: { severity: 'error', title: 'file is not valid UTF-8' },
  L7C1004: { severity: 'warning', title: 'file is empty' },
  L7C1005: { severity: 'error', title: 'file cannot be read' },
  L7C1006: { severity: 'warning', title: 'no configuration files found' },
  // syntax
  L7C2001: { severity: 'error', title: 'YAML syntax error' },
  L7C2002: { severity: 'error', title: 'YAML duplicate key' },
  L7C2003: { severity: 'error', title: 'YAML aliases expand too far (alias bomb)' },
  L7C2004: { severity: 'error', title: 'document nested too deeply' },
  L7C2005: { severity: 'error', title: 'document is not a mapping' },
  L7C2101: { severity: 'error', title: 'CUE syntax error' },
  L7C2102: { severity: 'error', title: 'CUE evaluation error' },
  L7C2103: { severity: 'error', title: 'CUE value does not satisfy the l7mp.io/v1 definitions' },
  L7C2104: { severity: 'error', title: 'CUE evaluator unavailable' },
  // schema
  L7C3001: { severity: 'error', title: 'unknown kind' },
  L7C3002: { severity: 'error', title: 'unsupported apiVersion' },
  L7C3003: { severity: 'error', title: 'missing required field' },
  L7C3004: { severity: 'error', title: 'wrong type' },
  L7C3005: { severity: 'error', title: 'unknown field' },
  L7C3006: { severity: 'error', title: 'invalid value' },
  L7C3007: { severity: 'error', title: 'object matches none of the accepted shapes' },
  L7C3008: { severity: 'error', title: 'missing kind' },
  // references and names
  L7C4001: { severity: 'error', title: 'duplicate object name' },
  L7C4002: { severity: 'error', title: 'unknown target' },
  L7C4003: { severity: 'error', title: 'unknown route' },
  L7C4004: { severity: 'error', title: 'unknown virtual service (linkedVirtualService)' },
  L7C4005: { severity: 'error', title: 'unknown virtual service (Rule.virtualService)' },
  L7C4006: { severity: 'error', title: 'name the proxy cannot take' },
  L7C4007: { severity: 'error', title: 'reference cycle' },
  L7C4008: { severity: 'error', title: 'reference resolves to a stub that has no address' },
  L7C4009: { severity: 'error', title: 'unknown virtual service (action.apply)' },
  L7C4010: { severity: 'error', title: 'rule has neither a route nor an apply' },
  // semantic checks
  L7C5001: { severity: 'error', title: 'two listeners on one proxy share a protocol and port' },
  L7C5002: { severity: 'warning', title: 'datagram stream routed into a byte stream (framing loss)' },
  L7C5003: { severity: 'error', title: 'virtual service with rules selects a naked service' },
  L7C5004: { severity: 'warning', title: 'selector matches no proxy' },
  L7C5005: { severity: 'warning', title: 'rule after a catch-all is unreachable' },
  L7C5006: { severity: 'error', title: 'UDP singleton listener without connect address and port' },
  L7C5007: { severity: 'error', title: 'malformed JSON predicate' },
  L7C5008: { severity: 'error', title: 'malformed rewrite path' },
  L7C5009: { severity: 'error', title: 'protocol cannot be a cluster' },
  L7C5010: { severity: 'error', title: 'endpoints on a virtual cluster' },
  L7C5011: { severity: 'warning', title: 'target has no endpoints' },
  L7C5012: { severity: 'error', title: 'rule position out of range' },
  L7C5013: { severity: 'error', title: 'endpoint has no address' },
  L7C5014: { severity: 'error', title: 'proxy crash trigger' },
  L7C5015: { severity: 'warning', title: 'protocol known to misbehave in l7mp 0.5.7' },
  L7C5016: { severity: 'error', title: 'listener port clashes with a proxy REST controller on its host' },
  L7C5017: { severity: 'error', title: 'duplicate endpoint address in a hash-ring cluster' },
  L7C5018: { severity: 'error', title: 'invalid proxy inventory' },
  L7C5019: { severity: 'error', title: 'endpoint port differs from the cluster port' },
  L7C5020: { severity: 'error', title: 'two objects lower to the same l7mp name with different content' },
  L7C5021: { severity: 'error', title: 'two proxies with one address bind the same port' },
} as const satisfies Record<string, CatalogueEntry>;

export type Code = keyof typeof catalogue;
