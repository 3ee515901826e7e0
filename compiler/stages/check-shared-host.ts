// Part of stage 6, check: clashes between proxies that share a host. Proxies with the same
// `spec.address` are reached at one address, so they share its ports: the embedded default runs
// every local proxy on 127.0.0.1. l7mp 0.5.7 does not refuse a second bind of a port (facts §3.4):
// a TCP-like listener answers 200 and never listens, and a UDP one binds beside the first with
// SO_REUSEADDR, so only one of them receives. Two Proxy objects with one REST URL are one process,
// and every apply of one would undo the other's.
import type { Code } from '../diagnostics/catalogue.ts';
import type { PathSegment } from '../diagnostics/diagnostic.ts';
import { displayId, type Proxy, type VirtualService } from '../model/types.ts';
import type { Owner } from '../lowering/targets.ts';
import { adminPort, portAt, portKey } from './ports.ts';

type At = (o: Owner, path: readonly PathSegment[], code: Code, message: string, hint?: string) => void;

/** What a proxy has bound at a port: its REST controller, or a virtual service's listener. */
interface Holder {
  readonly proxy: Proxy;
  readonly what: string;
  /** a UDP listener's own `address`; undefined: all addresses */
  readonly udpAddress?: string;
}

/** `http://LOCALHOST:18001/` and `http://127.0.0.1:18001` are one REST API. */
function normalUrl(url: string): string {
  return url
    .trim()
    .replace(/\/+$/, '')
    .toLowerCase()
    .replace(/^([a-z]+:\/\/)localhost(?=[:/]|$)/, '$1127.0.0.1');
}

/** UDP listeners bound to two different specific addresses do not clash; anything else does. */
function overlaps(a: Holder, b: Holder): boolean {
  const all = (x?: string) => x === undefined || x === '0.0.0.0';
  return all(a.udpAddress) || all(b.udpAddress) || a.udpAddress === b.udpAddress;
}

export function checkSharedHosts(
  proxies: readonly Proxy[],
  listeners: ReadonlyMap<Proxy, readonly VirtualService[]>,
  at: At,
): void {
  const byUrl = new Map<string, Proxy>();
  for (const p of proxies) {
    if (!p.admin.url) continue;
    const first = byUrl.get(normalUrl(p.admin.url));
    if (first)
      at(
        p,
        ['spec', 'admin', 'url'],
        'L7C5018',
        `proxies "${displayId(first.id)}" and "${displayId(p.id)}" have the same REST API URL, so they are one l7mp process: each apply would undo the other's`,
        'give every Proxy the URL of its own REST controller',
      );
    else byUrl.set(normalUrl(p.admin.url), p);
  }

  const byAddress = new Map<string, Proxy[]>();
  for (const p of proxies) {
    const k = p.address.trim().toLowerCase();
    if (k) byAddress.set(k, [...(byAddress.get(k) ?? []), p]);
  }
  for (const [address, group] of byAddress) {
    if (group.length < 2) continue;
    const taken = new Map<string, Holder[]>();
    const hold = (k: string, h: Holder) => taken.set(k, [...(taken.get(k) ?? []), h]);
    for (const p of group) {
      if (p.admin.url) hold(`TCP port ${adminPort(p.admin.url)}`, { proxy: p, what: 'REST controller' });
    }
    for (const p of group)
      for (const vs of listeners.get(p) ?? []) {
        const l = vs.listener!;
        const k = portKey(l.spec);
        if (!k) continue;
        const own = l.spec.protocol === 'UDP' ? l.spec['address'] : undefined;
        const h: Holder = {
          proxy: p,
          what: `virtual service "${displayId(vs.id)}"`,
          ...(typeof own === 'string' ? { udpAddress: own } : {}),
        };
        // Clashes on the proxy itself are L7C5001 and L7C5016 (check.ts); here only other proxies.
        const other = taken.get(k)?.find((o) => o.proxy !== p && overlaps(o, h));
        if (other?.what === 'REST controller')
          at(
            vs,
            portAt(l),
            'L7C5016',
            `on proxy "${displayId(p.id)}", ${k} is the REST controller port of proxy "${displayId(other.proxy.id)}", which has the same address ${address}`,
            'use another port: proxies with one address share its ports',
          );
        else if (other)
          at(
            vs,
            portAt(l),
            'L7C5021',
            `on proxy "${displayId(p.id)}", ${k} is already used by ${other.what} on proxy "${displayId(other.proxy.id)}", which has the same address ${address}: only one of them would receive`,
            'use another port, or give the proxies different addresses if they are on different hosts',
          );
        hold(k, h);
      }
  }
}
