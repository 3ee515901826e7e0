// `l7mp-compile graph`: the per-proxy pipelines (listener → rulelist → rules → routes → clusters →
// endpoints) as Graphviz DOT or Mermaid.
import type { ProxyGraph } from '../../compiler/model/graph.ts';

interface Edge {
  from: string;
  to: string;
  label?: string;
}
interface Node {
  id: string;
  label: string;
  shape: 'listener' | 'rulelist' | 'rule' | 'route' | 'cluster' | 'endpoint';
}

function pipeline(g: ProxyGraph): { nodes: Node[]; edges: Edge[] } {
  const nodes: Node[] = [];
  const edges: Edge[] = [];
  const id = (kind: string, name: string) => `${g.proxy}/${kind}/${name}`;
  for (const l of g.listeners) {
    const s = l.spec;
    nodes.push({
      id: id('L', l.name),
      label: `${l.name}\\n${s.protocol}${s.port !== undefined ? `:${s.port}` : ''}`,
      shape: 'listener',
    });
    edges.push({ from: id('L', l.name), to: id('RL', l.rules) });
  }
  for (const rl of g.rulelists) {
    nodes.push({ id: id('RL', rl.name), label: rl.name, shape: 'rulelist' });
    rl.rules.forEach((r, i) => edges.push({ from: id('RL', rl.name), to: id('R', r), label: `#${i}` }));
  }
  for (const r of g.rules) {
    nodes.push({ id: id('R', r.name), label: `${r.name}${r.match ? '\\nmatch' : ''}`, shape: 'rule' });
    if (r.action.route) edges.push({ from: id('R', r.name), to: id('RT', r.action.route) });
    if (r.action.apply) edges.push({ from: id('R', r.name), to: id('RL', r.action.apply), label: 'apply' });
  }
  for (const rt of g.routes) {
    nodes.push({ id: id('RT', rt.name), label: rt.name, shape: 'route' });
    rt.ingress.forEach((c, i) =>
      edges.push({ from: id('RT', rt.name), to: id('C', c), label: `ingress ${i}` }),
    );
    edges.push({ from: id('RT', rt.name), to: id('C', rt.destination), label: 'destination' });
    rt.egress.forEach((c, i) =>
      edges.push({ from: id('RT', rt.name), to: id('C', c), label: `egress ${i}` }),
    );
  }
  for (const c of g.clusters) {
    const s = c.spec;
    nodes.push({
      id: id('C', c.name),
      label: `${c.name}\\n${s.protocol}${s.port !== undefined ? `:${s.port}` : ''}`,
      shape: 'cluster',
    });
  }
  for (const e of g.endpoints) {
    nodes.push({ id: id('E', e.name), label: e.spec.address, shape: 'endpoint' });
    edges.push({ from: id('C', e.cluster), to: id('E', e.name) });
  }
  return { nodes, edges };
}

const dotShape = {
  listener: 'box',
  rulelist: 'folder',
  rule: 'diamond',
  route: 'cds',
  cluster: 'box3d',
  endpoint: 'ellipse',
};
const q = (s: string) => `"${s.replace(/"/g, '\\"')}"`;

export function renderDot(graphs: readonly ProxyGraph[]): string {
  const lines = ['digraph l7mp {', '  rankdir=LR;', '  node [fontsize=10];'];
  graphs.forEach((g, i) => {
    const { nodes, edges } = pipeline(g);
    lines.push(`  subgraph cluster_${i} {`, `    label=${q(`proxy ${g.proxy}`)};`);
    for (const n of nodes) lines.push(`    ${q(n.id)} [label=${q(n.label)}, shape=${dotShape[n.shape]}];`);
    for (const e of edges)
      lines.push(`    ${q(e.from)} -> ${q(e.to)}${e.label ? ` [label=${q(e.label)}]` : ''};`);
    lines.push('  }');
  });
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

const mermaidShape = {
  listener: (l: string) => `[/"${l}"/]`,
  rulelist: (l: string) => `[["${l}"]]`,
  rule: (l: string) => `{"${l}"}`,
  route: (l: string) => `>"${l}"]`,
  cluster: (l: string) => `[("${l}")]`,
  endpoint: (l: string) => `(["${l}"])`,
};

export function renderMermaid(graphs: readonly ProxyGraph[]): string {
  const lines = ['flowchart LR'];
  const ids = new Map<string, string>();
  const mid = (s: string) => ids.get(s) ?? (ids.set(s, `n${ids.size}`), ids.get(s)!);
  for (const g of graphs) {
    const { nodes, edges } = pipeline(g);
    lines.push(`  subgraph ${mid(`proxy/${g.proxy}`)}["proxy ${g.proxy}"]`);
    for (const n of nodes)
      lines.push(
        `    ${mid(n.id)}${mermaidShape[n.shape](n.label.replace(/\\n/g, '<br/>').replace(/"/g, '#quot;'))}`,
      );
    for (const e of edges) lines.push(`    ${mid(e.from)} -->${e.label ? `|${e.label}|` : ''} ${mid(e.to)}`);
    lines.push('  end');
  }
  return `${lines.join('\n')}\n`;
}
