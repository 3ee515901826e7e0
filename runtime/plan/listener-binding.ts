// What a listener holds on the host, for ordering listener replacements (facts §3.4): two l7mp
// UDP listeners on one port both bind (SO_REUSEADDR), and a TCP-family listener on a busy port
// answers 200 and never listens, so a listener whose port (or socket file) an old listener still
// holds must wait until the old one is deleted. The compiler's L7C5001 check uses the same key.
import type { L7Listener } from '../../compiler/model/graph.ts';
import type { FlatSpec } from '../../compiler/model/types.ts';

type Spec = FlatSpec | undefined;

/** `UDP port 5053`, `TCP port 8080` (TCP, HTTP and WebSocket share the TCP ports), `UNIX socket /x`. */
export function bindingKey(spec: Spec): string | undefined {
  switch (spec?.protocol) {
    case 'UDP':
      return spec.port === undefined ? undefined : `UDP port ${String(spec.port)}`;
    case 'TCP':
    case 'HTTP':
    case 'WebSocket':
      return spec.port === undefined ? undefined : `TCP port ${String(spec.port)}`;
    case 'UnixDomainSocket':
      return spec.filename === undefined ? undefined : `UNIX socket ${String(spec.filename)}`;
    case 'JSONSocket':
      return bindingKey(spec.transport as Spec);
    default:
      return undefined;
  }
}

/** The proxy's own rule (listener.js): `spec.options.mode` when given, else `connect` address and port. */
const isSingletonUdp = (spec: Spec): boolean => {
  if (spec?.protocol === 'JSONSocket') return isSingletonUdp(spec.transport as Spec);
  if (spec?.protocol !== 'UDP') return false;
  const mode = (spec.options as { mode?: unknown } | undefined)?.mode;
  if (mode) return mode === 'singleton';
  const connect = spec.connect as { address?: unknown; port?: unknown } | undefined;
  return Boolean(connect?.address && connect.port);
};

/**
 * A UDP singleton listener's one session runs on the listener's own socket: deleting the listener
 * ends it (facts §4.1). Every other listener's sessions survive a non-recursive delete.
 */
export function isSingleton(l: L7Listener): boolean {
  return isSingletonUdp(l.spec);
}
