// Which objects land on which proxy, and what each target reference becomes: computed once and
// shared by the check and lower stages (each selector is evaluated once).
import type { Diagnostics } from '../diagnostics/diagnostic.ts';
import type { Proxy, Selector, Target, VirtualService } from '../model/types.ts';
import type { Resolved } from '../stages/resolve.ts';
import { TargetResolver } from './targets.ts';

/** VirtualServices that become a listener: they have a listener and rules (the others are stubs). */
export function listenerServices(r: Resolved): VirtualService[] {
  return r.virtualServices.filter((vs) => vs.listener && r.rulesOf(vs).length > 0);
}

/** proxy → items whose selector picks it, computed once (selectors are evaluated once each). */
function byProxy<T extends { selector?: Selector }>(r: Resolved, items: readonly T[]): Map<Proxy, T[]> {
  const m = new Map<Proxy, T[]>(r.proxies.map((p) => [p, []]));
  for (const it of items) for (const p of r.selectedProxies(it.selector)) m.get(p)!.push(it);
  return m;
}

export interface Placement {
  readonly resolver: TargetResolver;
  /** proxy → VirtualServices that become a listener on it */
  readonly listeners: ReadonlyMap<Proxy, readonly VirtualService[]>;
  /** proxy → Targets whose selector picks it */
  readonly deployedTargets: ReadonlyMap<Proxy, readonly Target[]>;
}

export function place(r: Resolved, diags: Diagnostics): Placement {
  return {
    resolver: new TargetResolver(r, diags),
    listeners: byProxy(r, listenerServices(r)),
    deployedTargets: byProxy(r, r.model.targets),
  };
}
