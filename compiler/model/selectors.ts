// Label selectors (DESIGN §1): requirements are ANDed. An absent selector selects nothing.
import type { Selector } from './types.ts';

export interface Selectable {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  /** names this object backs for `matchService`: a Proxy's spec.services, a Service's own name */
  readonly services: readonly string[];
}

export function selects(sel: Selector | undefined, o: Selectable): boolean {
  if (!sel) return false;
  if (sel.matchNamespace !== undefined && sel.matchNamespace !== o.namespace) return false;
  if (sel.matchService !== undefined && !o.services.includes(sel.matchService)) return false;
  for (const [k, v] of Object.entries(sel.matchLabels)) if (o.labels[k] !== v) return false;
  for (const r of sel.matchExpressions) {
    const has = Object.hasOwn(o.labels, r.key);
    const v = o.labels[r.key];
    switch (r.operator) {
      case 'In':
        if (!has || !r.values.includes(v!)) return false;
        break;
      case 'NotIn':
        if (has && r.values.includes(v!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
    }
  }
  return true;
}
