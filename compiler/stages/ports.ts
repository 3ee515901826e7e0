// What binds a port on a proxy: the key two listeners clash on, where a listener's port is written,
// and the port of the proxy's REST controller.
import type { PathSegment } from '../diagnostics/diagnostic.ts';
import type { FlatSpec, VirtualService } from '../model/types.ts';

/** Where the bound port (or socket file) of a listener is written. */
export function portAt(l: NonNullable<VirtualService['listener']>): readonly PathSegment[] {
  if (l.spec.protocol === 'JSONSocket') return [...(l.transportFieldsAt ?? l.fieldsAt), 'port'];
  return [...l.fieldsAt, l.spec.protocol === 'UnixDomainSocket' ? 'filename' : 'port'];
}

export function portKey(spec: FlatSpec): string | undefined {
  switch (spec.protocol) {
    case 'UDP':
      return `UDP port ${spec.port}`;
    case 'TCP':
    case 'HTTP':
    case 'WebSocket':
      return `TCP port ${spec.port}`; // TCP, HTTP and WebSocket listeners all bind a TCP port on all interfaces
    case 'UnixDomainSocket':
      return `UNIX socket ${spec.filename}`;
    case 'JSONSocket':
      return portKey(spec.transport as FlatSpec);
    default:
      return undefined;
  }
}

/** The REST port a proxy's admin URL points at. */
export function adminPort(url: string): number {
  try {
    const u = new URL(url);
    return u.port ? Number(u.port) : u.protocol === 'https:' ? 443 : 80;
  } catch {
    return 1234;
  }
}
