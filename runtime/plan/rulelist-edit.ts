// The in-place edit of a live rulelist (DESIGN §4.3): the proxy can only insert a rule reference at
// a position and remove one, so the fewest calls keep a longest common subsequence of the live and
// desired lists and insert/remove the rest. Make-before-break: every insert comes first (the old
// rules still answer while the new ones go in), then every removal. Each position is the one valid
// at the moment its call runs, given the calls before it.

export interface RuleInsert {
  readonly op: 'insert';
  readonly rule: string;
  readonly position: number;
}
export interface RuleRemove {
  readonly op: 'remove';
  readonly rule: string;
  readonly position: number;
  /** the name occurs once in the list at that moment, so removing by name removes this one */
  readonly unique: boolean;
  /** the same rule is inserted elsewhere in this edit (a reorder) */
  readonly moved: boolean;
}
export type RuleEdit = RuleInsert | RuleRemove;

type Step = { readonly op: 'keep' | 'insert' | 'remove'; readonly rule: string };

/** An edit script of minimal length; in each gap, inserts come before removals. */
function script(from: readonly string[], to: readonly string[]): Step[] {
  // Common prefix and suffix need no table (the usual case: a few rules change in a long list).
  let pre = 0;
  while (pre < from.length && pre < to.length && from[pre] === to[pre]) pre++;
  let suf = 0;
  while (
    suf < from.length - pre &&
    suf < to.length - pre &&
    from[from.length - 1 - suf] === to[to.length - 1 - suf]
  )
    suf++;
  const a = from.slice(pre, from.length - suf);
  const b = to.slice(pre, to.length - suf);
  // lcs[i][j]: length of a longest common subsequence of a[i..] and b[j..]
  const w = b.length + 1;
  const lcs = new Uint32Array((a.length + 1) * w);
  for (let i = a.length - 1; i >= 0; i--)
    for (let j = b.length - 1; j >= 0; j--)
      lcs[i * w + j] =
        a[i] === b[j] ? lcs[(i + 1) * w + j + 1]! + 1 : Math.max(lcs[(i + 1) * w + j]!, lcs[i * w + j + 1]!);
  const steps: Step[] = from.slice(0, pre).map((rule) => ({ op: 'keep', rule }));
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      steps.push({ op: 'keep', rule: a[i++]! });
      j++;
    } else if (j < b.length && (i === a.length || lcs[i * w + j + 1]! >= lcs[(i + 1) * w + j]!)) {
      steps.push({ op: 'insert', rule: b[j++]! });
    } else {
      steps.push({ op: 'remove', rule: a[i++]! });
    }
  }
  for (const rule of from.slice(from.length - suf)) steps.push({ op: 'keep', rule });
  return steps;
}

/** The calls that turn the rule list `from` into `to`: inserts first, then removals. */
export function editRuleList(from: readonly string[], to: readonly string[]): RuleEdit[] {
  const steps = script(from, to);
  const inserted = new Set(steps.filter((s) => s.op === 'insert').map((s) => s.rule));
  const edits: RuleEdit[] = [];
  // Inserts left to right: everything before step k is present by then, so k is the position.
  steps.forEach((s, k) => {
    if (s.op === 'insert') edits.push({ op: 'insert', rule: s.rule, position: k });
  });
  // Removals left to right over the full intermediate list.
  const current = steps.map((s) => s.rule);
  let removed = 0;
  steps.forEach((s, k) => {
    if (s.op !== 'remove') return;
    const position = k - removed;
    const unique = current.indexOf(s.rule) === current.lastIndexOf(s.rule);
    edits.push({ op: 'remove', rule: s.rule, position, unique, moved: inserted.has(s.rule) });
    current.splice(position, 1);
    removed++;
  });
  return edits;
}
