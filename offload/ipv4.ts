// IPv4 addresses and prefixes as numbers: all the offload needs (it is IPv4-only, like its program).

/** 10.200.1.2 → 0x0ac80102; undefined for anything that is not a dotted-quad IPv4 literal. */
export function parseIpv4(s: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return undefined;
  const o = m.slice(1).map(Number);
  if (o.some((x) => x > 255)) return undefined;
  return ((o[0]! << 24) | (o[1]! << 16) | (o[2]! << 8) | o[3]!) >>> 0;
}

export function formatIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

export interface Prefix {
  readonly address: number;
  readonly length: number;
}

/** `10.200.1.1/24` → the interface address and prefix length; a bare address is a /32. */
export function parseCidr(s: string): Prefix | undefined {
  const [addr, len, ...rest] = s.split('/');
  if (rest.length || addr === undefined) return undefined;
  const address = parseIpv4(addr);
  const length = len === undefined ? 32 : /^\d{1,2}$/.test(len) ? Number(len) : NaN;
  if (address === undefined || !(length >= 0 && length <= 32)) return undefined;
  return { address, length };
}

/** Whether `addr` lies in the subnet of `p` (same network bits). */
export function inPrefix(addr: number, p: Prefix): boolean {
  if (p.length === 0) return true;
  const mask = (0xffffffff << (32 - p.length)) >>> 0;
  return ((addr ^ p.address) & mask) >>> 0 === 0;
}

export function isPort(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 65535;
}
