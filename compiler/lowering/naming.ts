// The one place l7mp object names are made (DESIGN §3). Every name starts with MARKER, so objects
// created by anyone else (the proxy's controller listener, `l7mp-controller`) are never ours.
// Names are deterministic, contain no whitespace, never start with a digit, and the kinds the
// proxy cannot update in place carry a hash of their content.
import { contentHash } from './canonical.ts';

export const MARKER = 'l7c';

export function isOurs(name: string): boolean {
  return name.startsWith(`${MARKER}.`);
}

/** Keeps addresses and paths readable but safe inside a name; a hash keeps rewritten ones unique. */
export function sanitize(s: string): string {
  if (/^[A-Za-z0-9][A-Za-z0-9.-]*$/.test(s)) return s;
  return `${s.replace(/[^A-Za-z0-9.-]+/g, '_').replace(/^_+|_+$/g, '') || '_'}-${contentHash(s, 6)}`;
}

export const names = {
  listener: (ns: string, vs: string, content: unknown) => `${MARKER}.L.${ns}.${vs}.${contentHash(content)}`,
  rulelist: (ns: string, vs: string) => `${MARKER}.RL.${ns}.${vs}`,
  rule: (ns: string, owner: string, content: unknown) => `${MARKER}.R.${ns}.${owner}.${contentHash(content)}`,
  route: (ns: string, owner: string, content: unknown) =>
    `${MARKER}.RT.${ns}.${owner}.${contentHash(content)}`,
  cluster: (ns: string, owner: string, content: unknown) =>
    `${MARKER}.C.${ns}.${owner}.${contentHash(content)}`,
  endpoint: (cluster: string, address: string, weight: number | undefined) =>
    `${cluster}.E.${sanitize(address)}${weight === undefined ? '' : `.w${weight}`}`,
};
