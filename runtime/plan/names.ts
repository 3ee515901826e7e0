// Reading our own names back (compiler/lowering/naming.ts writes them): the stable part of a
// content-addressed name, which pairs an object with the version that replaces it, and a best guess
// at the user object behind a live name that the configuration no longer has.
import type { GraphKind } from '../../compiler/model/graph.ts';
import { MARKER } from '../../compiler/lowering/naming.ts';

const HASH = /\.[0-9a-f]{8}(\.[0-9]+)?$/;

/** `l7c.RT.default.gw.1a2b3c4d` → `l7c.RT.default.gw`: equal for two versions of one object. */
export function stemOf(name: string): string {
  return name.replace(HASH, '');
}

const display = (ns: string, name: string) => (ns === 'default' ? name : `${name}.${ns}`);

/**
 * `VirtualService/gw` for listeners and rulelists (named after their VirtualService); for other
 * kinds the owner's name only, since the name does not say its kind. Undefined for a name we did
 * not write.
 */
export function guessOrigin(kind: GraphKind, name: string): string | undefined {
  const m = new RegExp(`^${MARKER}\\.(L|RL|R|RT|C)\\.([^.]+)\\.(.+)$`).exec(
    kind === 'endpoints' ? name.replace(/\.E\..*$/, '') : name,
  );
  if (!m) return undefined;
  const [, letter, ns, rest] = m as unknown as [string, string, string, string];
  const owner = letter === 'RL' ? rest : stemOf(rest);
  if (!owner) return undefined;
  return letter === 'L' || letter === 'RL' ? `VirtualService/${display(ns, owner)}` : display(ns, owner);
}
