// Part of stage 6, check: what binds a port may not bind one that is taken. Proxies with the same
// `spec.address` are reached at one address, so they share its ports (the embedded default runs
// every local proxy on 127.0.0.1); a proxy with an address of its own is a host of one. l7mp 0.5.7
// does not refuse a second bind of a port (facts §3.4): a TCP-like listener answers 200 and never
// listens, and a UDP one binds beside the first with SO_REUSEADDR, so only one of them receives.
// Two Proxy objects with one REST URL are one process, and every apply of one would undo the other's.
import type { Code } from '../diagnostics/catalogue.ts';
import type { PathSegment } from '../diagnostics/diagnostic.ts';
import { displayId, type Proxy, type VirtualService } from '../model/types.ts';
import type { Owner } from '../lowering/targets.ts';
import { adminPort, portAt, portKey } from './ports.ts';

type At = (o: Owner, path: readonly PathSegment[], code: Code, message: string, hint?: string) => void;

/** What is bound at a port: a proxy's REST controller (no `vs`), or a virtual service's listener. */
interface Holder {
  readonly proxy: Proxy;
  readonly vs?: VirtualService;
  /** a UDP listener's own `address`; undefined: all addresses */
  readonly udpAddress?: string;
}

/** `http://LOCALHOST/` and `http://127.0.0.1:80` are one REST API. */
function restApi(url: string): string {
  try {
    const u = new URL(url);
    const host = u.hostname === 'localhost' ? '127.0.0.1' : u.hostname;
    return `${u.protocol}//${host}:${adminPort(url)}${u.pathname.replace(/\/+$/, '')}`;
  } catch {
    return url.trim();
  }
}

/** UDP listeners bound to two different specific addresses do not clash; anything else does. */
function overlaps(a: Holder, b: Holder): boolean {
  const all = (x?: string) => x === undefined || x === '0.0.0.0';
  return all(a.udpAddress) || all(b.udpAddress) || a.udpAddress === b.udpAddress;
}

/** Proxies by the address they share; a proxy without one is alone. */
function hosts(proxies: readonly Proxy[]): Map<string, Proxy[]> {
  const out = new Map<string, Proxy[]>();
  proxies.forEach((p, i) => {
    const k = p.address.trim().toLowerCase() || `\0${i}`;
    out.set(k, [...(out.get(k) ?? []), p]);
  });
  return out;
}

function checkRestUrls(proxies: readonly Proxy[], at: At): void {
  const seen = new Map<string, Proxy>();
  for (const p of proxies) {
    if (!p.admin.url) continue;
    const api = restApi(p.admin.url);
    const first = seen.get(api);
    if (first)
      at(
        p,
        ['spec', 'admin', 'url'],
        'L7C5018',
        `proxies "${displayId(first.id)}" and "${displayId(p.id)}" have the same REST API URL, so they are one l7mp process: each apply would undo the other's`,
        'give every Proxy the URL of its own REST controller',
      );
    else seen.set(api, p);
  }
}

export function checkPorts(
  proxies: readonly Proxy[],
  listeners: ReadonlyMap<Proxy, readonly VirtualService[]>,
  at: At,
): void {
  checkRestUrls(proxies, at);
  for (const [address, host] of hosts(proxies)) {
    const taken = new Map<string, Holder[]>();
    const hold = (k: string, h: Holder) => taken.set(k, [...(taken.get(k) ?? []), h]);
    for (const p of host) if (p.admin.url) hold(`TCP port ${adminPort(p.admin.url)}`, { proxy: p });
    for (const p of host)
      for (const vs of listeners.get(p) ?? []) {
        const l = vs.listener!;
        const k = portKey(l.spec);
        if (!k) continue;
        const own = l.spec.protocol === 'UDP' ? l.spec['address'] : undefined;
        const h: Holder = { proxy: p, vs, ...(typeof own === 'string' ? { udpAddress: own } : {}) };
        const report = (code: Code, what: string, hint?: string) =>
          at(vs, portAt(l), code, `on proxy "${displayId(p.id)}", ${k} ${what}`, hint);
        const onProxy = taken.get(k)?.filter((o) => o.proxy === p) ?? [];
        const elsewhere = taken.get(k)?.find((o) => o.proxy !== p && overlaps(o, h));
        if (onProxy.some((o) => !o.vs)) report('L7C5016', "is the proxy's REST controller port");
        const prev = onProxy.find((o) => o.vs)?.vs;
        if (prev) report('L7C5001', `is already used by virtual service "${displayId(prev.id)}"`);
        else if (onProxy.length === 0 && elsewhere) {
          const there = `proxy "${displayId(elsewhere.proxy.id)}", which has the same address ${address}`;
          if (!elsewhere.vs)
            report(
              'L7C5016',
              `is the REST controller port of ${there}`,
              'use another port: proxies with one address share its ports',
            );
          else
            report(
              'L7C5021',
              `is already used by virtual service "${displayId(elsewhere.vs.id)}" on ${there}: only one of them would receive`,
              'use another port, or give the proxies different addresses if they are on different hosts',
            );
        }
        hold(k, h);
      }
  }
}
