// Collects one proxy's lowered objects by name. Adding a name twice is fine when the content is the
// same (two routes sharing a target); different content under one name is reported, never merged.
import type { Diagnostics } from '../diagnostics/diagnostic.ts';
import type {
  GraphKind,
  L7Cluster,
  L7Endpoint,
  L7Listener,
  L7Route,
  L7Rule,
  L7RuleList,
  Origin,
  ProxyGraph,
} from '../model/graph.ts';
import type { Proxy } from '../model/types.ts';
import { canonical } from './canonical.ts';
import type { Owner } from './targets.ts';
import { displayId } from '../model/types.ts';

type Item = { name: string };

export class GraphBuilder {
  private readonly objects: { [K in GraphKind]: Map<string, Item> } = {
    listeners: new Map(),
    rulelists: new Map(),
    rules: new Map(),
    routes: new Map(),
    clusters: new Map(),
    endpoints: new Map(),
  };
  // collected in a Map; build() makes the object once, keys added in name order (instead of an
  // object grown key by key, then copied through Object.entries, sort and Object.fromEntries)
  private readonly origins = new Map<string, Origin>();

  constructor(
    private readonly proxy: Proxy,
    private readonly diags: Diagnostics,
  ) {}

  has(kind: GraphKind, name: string): boolean {
    return this.objects[kind].has(name);
  }

  add<T extends Item>(kind: GraphKind, obj: T, owner: Owner): string {
    const prev = this.objects[kind].get(obj.name);
    if (prev && canonical(prev) !== canonical(obj)) {
      this.diags.add({
        code: 'L7C5020',
        file: owner.src.file,
        document: owner.src.document,
        path: [...owner.src.base],
        message: `on proxy "${displayId(this.proxy.id)}", ${kind} "${obj.name}" would be made twice with different content`,
        hint: 'two objects produce the same l7mp object; rename one of them',
      });
    } else if (!prev) {
      this.objects[kind].set(obj.name, obj);
      if (!this.origins.has(obj.name))
        this.origins.set(obj.name, { object: `${owner.id.kind}/${displayId(owner.id)}` });
    }
    return obj.name;
  }

  build(): ProxyGraph {
    // names are unique, so sorting them with the default sort (UTF-16 code units, like `<`, but no
    // comparator calls back into JS) gives the same order
    const sorted = <T>(k: GraphKind) => {
      const objects = this.objects[k];
      return [...objects.keys()].sort().map((name) => objects.get(name)!) as T[];
    };
    const origins: Record<string, Origin> = {};
    for (const name of [...this.origins.keys()].sort()) origins[name] = this.origins.get(name)!;
    return {
      proxy: this.proxy.id.name,
      namespace: this.proxy.id.namespace,
      admin: { url: this.proxy.admin.url },
      address: this.proxy.address,
      listeners: sorted<L7Listener>('listeners'),
      rulelists: sorted<L7RuleList>('rulelists'),
      rules: sorted<L7Rule>('rules'),
      routes: sorted<L7Route>('routes'),
      clusters: sorted<L7Cluster>('clusters'),
      endpoints: sorted<L7Endpoint>('endpoints'),
      origins,
    };
  }
}
