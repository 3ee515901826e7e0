// Human form of a plan, like `terraform plan`: a block per proxy, one entry per change in the order
// apply runs them, then a summary line. Works from the Plan value only (the JSON form has it all).
//   +    create                      ~    in-place change (rulelist edit, endpoint)
//   -    delete                      -/+  replace (its two halves shown as one entry, old → new)
import type { Plan, PlannedCall, ProxyPlan } from '../../runtime/reconcile/types.ts';
import type { GraphKind } from '../../compiler/model/graph.ts';
import { proxyHasChanges, summarize, summarizeOffload } from '../../runtime/plan/summary.ts';
import { countsText, notOffloadedLines, opLines } from '../../offload/render.ts';
import { offloadChanges, type OffloadPlan } from '../../offload/proxy-offload.ts';
import { fieldChanges } from '../../runtime/plan/field-changes.ts';

export interface PlanTextOptions {
  readonly color: boolean;
}

const LABEL: Record<GraphKind, string> = {
  listeners: 'listener',
  rulelists: 'rulelist',
  rules: 'rule',
  routes: 'route',
  clusters: 'cluster',
  endpoints: 'endpoint',
};

const SGR = { add: '32', change: '33', destroy: '31', replace: '35', warn: '1;33', cut: '1;31', dim: '2' };
type Paint = (sgr: string, s: string) => string;

/** Names and reasons may come from a live proxy: keep control characters off the terminal. */
const clean = (s: string) => s.replace(/[\u0000-\u001f\u007f-\u009f]/g, '\uFFFD'); // eslint-disable-line no-control-regex

const show = (v: unknown) => (v === undefined ? '(none)' : clean(JSON.stringify(v)));

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

interface Entry {
  readonly sign: '+' | '~' | '-' | '-/+';
  readonly title: string;
  readonly reason: string;
  readonly details: readonly string[];
  readonly drift: boolean;
  readonly sessionsCut: number;
}

/** One entry per change: the halves of a replacement are joined (at the first half's place). */
function entries(p: ProxyPlan): Entry[] {
  const calls = p.calls;
  const partner = new Map<number, number>();
  calls.forEach((c, i) => {
    if (c.action !== 'replace-create' || c.replaces === undefined) return;
    const j = calls.findIndex(
      (d, k) =>
        d.action === 'replace-delete' && d.kind === c.kind && d.name === c.replaces && !partner.has(k),
    );
    if (j >= 0) {
      partner.set(i, j);
      partner.set(j, i);
    }
  });
  const out: Entry[] = [];
  calls.forEach((c, i) => {
    const j = partner.get(i);
    if (j !== undefined && j < i) return; // shown with its first half
    if (j !== undefined) {
      const [del, add] = c.action === 'replace-delete' ? [c, calls[j]!] : [calls[j]!, c];
      out.push({
        sign: '-/+',
        title: `${LABEL[c.kind]} ${del.name === add.name ? clean(add.name) : `${clean(del.name)} → ${clean(add.name)}`}`,
        reason: add.reason,
        details: fieldChanges(del.object, add.object).map(
          (f) => `${f.path}: ${show(f.old)} → ${show(f.new)}`,
        ),
        drift: Boolean(del.drift || add.drift),
        sessionsCut: del.sessionsCut + add.sessionsCut,
      });
      return;
    }
    out.push(single(c));
  });
  return out;
}

function single(c: PlannedCall): Entry {
  const base = { reason: c.reason, details: [], drift: Boolean(c.drift), sessionsCut: c.sessionsCut };
  const name = clean(c.name);
  const cluster = (c.object as { cluster?: unknown } | undefined)?.cluster;
  switch (c.action) {
    case 'insert-rule':
      return {
        ...base,
        sign: '~',
        title: `rulelist ${clean(c.rulelist ?? '?')}: insert rule ${name} at ${c.position}`,
      };
    case 'remove-rule':
      return {
        ...base,
        sign: '~',
        title: `rulelist ${clean(c.rulelist ?? '?')}: remove rule ${name} (position ${c.position})`,
      };
    case 'add-endpoint':
      return { ...base, sign: '~', title: `cluster ${clean(String(cluster ?? '?'))}: add endpoint ${name}` };
    case 'remove-endpoint':
      return {
        ...base,
        sign: '~',
        title: `cluster ${clean(String(cluster ?? '?'))}: remove endpoint ${name}`,
      };
    case 'create':
    case 'replace-create':
      return { ...base, sign: '+', title: `${LABEL[c.kind]} ${name}` };
    case 'delete':
    case 'replace-delete':
      return { ...base, sign: '-', title: `${LABEL[c.kind]} ${name}` };
  }
}

const SIGN_SGR: Record<Entry['sign'], string> = {
  '+': SGR.add,
  '~': SGR.change,
  '-': SGR.destroy,
  '-/+': SGR.replace,
};

function renderEntry(e: Entry, paint: Paint): string {
  const lines = [
    `  ${paint(SIGN_SGR[e.sign], e.sign.padStart(3))} ${e.title}${e.drift ? ` ${paint(SGR.warn, '(changed outside l7mp-compile)')}` : ''}`,
    `        ${clean(e.reason)}`,
    ...e.details.map((d) => `          ${d}`),
  ];
  if (e.sessionsCut > 0)
    lines.push(`        ${paint(SGR.cut, `ends ${plural(e.sessionsCut, 'live session')}`)}`);
  return lines.join('\n');
}

/** The offload part of a proxy's block: its map writes, then the paths that stay in userspace. */
function offloadBlock(o: OffloadPlan, paint: Paint): string[] {
  const where = o.netns ? ` in network namespace ${clean(o.netns)}` : '';
  const view = { plan: o.sync, ifaces: o.ifaces, capacity: o.capacity };
  if (o.error) return [`  ${paint(SGR.cut, `kernel offload${where}: cannot plan: ${clean(o.error)}`)}`];
  if (!offloadChanges(o)) return [`  kernel offload${where}: no changes (${countsText(view)})`];
  const load = o.loaded
    ? ''
    : `; the program is loaded and attached to ${o.attach.map(clean).join(', ') || 'no interface'} first`;
  const paintOp = (l: string) => {
    const sign = l.trimStart()[0];
    return sign === '+'
      ? paint(SGR.add, l)
      : sign === '~'
        ? paint(SGR.change, l)
        : sign === '-'
          ? paint(SGR.destroy, l)
          : l;
  };
  return [
    `  kernel offload${where} (after the REST calls${load}):`,
    ...opLines(view, '    ').map((l) => paintOp(clean(l))),
    `    ${countsText(view)}`,
    ...(o.notOffloaded.length
      ? ['    stays in the userspace proxy:', ...notOffloadedLines(o.notOffloaded, '      ').map(clean)]
      : []),
  ];
}

export function renderPlanText(plan: Plan, opts: PlanTextOptions = { color: false }): string {
  const paint: Paint = opts.color ? (sgr, s) => `\u001b[${sgr}m${s}\u001b[0m` : (_sgr, s) => s;
  const out: string[] = [];
  const changes = plan.proxies.some(proxyHasChanges);
  const offloadError = plan.proxies.some((p) => p.offload?.error);
  if (changes || offloadError) {
    for (const p of plan.proxies) {
      const head = `proxy ${clean(p.proxy)} (${clean(p.adminUrl)})`;
      const offload = p.offload ? offloadBlock(p.offload, paint) : [];
      if (!proxyHasChanges(p) && !p.offload?.error) {
        out.push(`${head}: no changes`, '');
        continue;
      }
      out.push(`${head}:`, ...entries(p).map((e) => renderEntry(e, paint)), ...offload, '');
    }
  }
  for (const u of plan.unreachable)
    out.push(
      paint(
        SGR.warn,
        `proxy ${clean(u.proxy)} (${clean(u.adminUrl)}): not reachable, skipped: ${clean(u.error)}`,
      ),
      '',
    );
  if (!changes) {
    out.push(
      plan.unreachable.length === 0
        ? 'No changes. Live proxies match the configuration.'
        : `No changes on the proxies that could be reached (${plural(plan.unreachable.length, 'proxy', 'proxies')} skipped).`,
    );
  } else {
    const s = summarize(plan);
    const o = summarizeOffload(plan.proxies);
    const offload = plan.proxies.some((p) => p.offload)
      ? `; kernel offload: ${o.add} to add, ${o.change} to change, ${o.remove} to remove`
      : '';
    out.push(
      `Plan: ${s.add} to add, ${s.change} to change, ${s.replace} to replace, ${s.destroy} to destroy; ` +
        `${plural(s.sessionsCut, 'live session')} cut${offload}.`,
    );
  }
  return `${out.join('\n')}\n`;
}
