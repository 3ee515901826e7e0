// The interfaces of the proxy's network namespace, with their IPv4 addresses: what derivation
// matches listener, bind, client and endpoint addresses against.
import { run } from './exec.ts';
import type { Iface } from './model.ts';

interface IpAddr {
  ifindex: number;
  ifname: string;
  addr_info?: { family?: string; local?: string; prefixlen?: number }[];
}

export function parseIpAddrJson(json: string): Iface[] {
  const links = JSON.parse(json || '[]') as IpAddr[];
  return links.map((l) => ({
    name: l.ifname,
    ifindex: l.ifindex,
    addresses: (l.addr_info ?? [])
      .filter((a) => a.family === 'inet' && a.local !== undefined)
      .map((a) => `${a.local}/${a.prefixlen ?? 32}`),
  }));
}

/** `ip -j addr show`, in the namespace when one is given (through nsenter, see exec.ts). */
export async function listIfaces(netns?: string): Promise<Iface[]> {
  return parseIpAddrJson(await run('ip', ['-j', 'addr', 'show'], netns ? { netns } : {}));
}
