// JSON predicates (draft-snell-json-test-07, as implemented by the json-predicate package l7mp
// uses) and JSON pointers: the proxy accepts malformed ones and silently never matches, so we don't.
import type { PathSegment } from '../diagnostics/diagnostic.ts';

export interface Problem {
  readonly at: readonly PathSegment[];
  readonly message: string;
  readonly hint?: string;
}

const VALUE_OPS = [
  'contains',
  'ends',
  'in',
  'less',
  'matches',
  'more',
  'starts',
  'test',
  'type',
  'contained',
  'intersects',
];
const PATH_OPS = ['defined', 'undefined'];
const LOGIC_OPS = ['and', 'or', 'not'];
const ALL_OPS = [...VALUE_OPS, ...PATH_OPS, ...LOGIC_OPS];

export function pointerProblem(p: unknown): string | undefined {
  if (typeof p !== 'string') return 'a JSON pointer must be a string';
  if (p !== '' && !p.startsWith('/')) return `JSON pointer "${p}" must start with "/"`;
  if (/~(?![01])/.test(p)) return `JSON pointer "${p}" has "~" not followed by 0 or 1`;
  return undefined;
}

export function predicateProblems(pred: unknown, at: readonly PathSegment[] = []): Problem[] {
  if (typeof pred !== 'object' || pred === null || Array.isArray(pred))
    return [{ at, message: 'a JSON predicate must be an object with `op`' }];
  const p = pred as Record<string, unknown>;
  if (p.op === undefined) {
    const hint =
      'match' in p
        ? 'to match everything, leave `match` out (a dumped {"match": "*"} never matches)'
        : 'e.g. {op: test, path: /IP/src_addr, value: 127.0.0.1}';
    return [{ at, message: 'JSON predicate has no `op`', hint }];
  }
  if (typeof p.op !== 'string' || !ALL_OPS.includes(p.op))
    return [
      {
        at: [...at, 'op'],
        message: `unknown JSON predicate op ${JSON.stringify(p.op)}`,
        hint: `one of ${ALL_OPS.join(', ')}`,
      },
    ];
  const out: Problem[] = [];
  const op = p.op;
  if (p.path !== undefined || !LOGIC_OPS.includes(op)) {
    const pp = p.path === undefined ? `op "${op}" needs a \`path\`` : pointerProblem(p.path);
    if (pp) out.push({ at: [...at, 'path'], message: pp });
  }
  if (VALUE_OPS.includes(op) && !('value' in p)) out.push({ at, message: `op "${op}" needs a \`value\`` });
  if (op === 'matches' && typeof p.value === 'string') {
    try {
      new RegExp(p.value);
    } catch {
      out.push({ at: [...at, 'value'], message: `"${p.value}" is not a valid regular expression` });
    }
  }
  if ((op === 'less' || op === 'more') && 'value' in p && typeof p.value !== 'number')
    out.push({ at: [...at, 'value'], message: `op "${op}" compares numbers; value must be a number` });
  if (['in', 'contained', 'intersects'].includes(op) && 'value' in p && !Array.isArray(p.value))
    out.push({ at: [...at, 'value'], message: `op "${op}" needs a list as value` });
  if (LOGIC_OPS.includes(op)) {
    if (!Array.isArray(p.apply) || p.apply.length === 0)
      out.push({ at, message: `op "${op}" needs \`apply\`: a non-empty list of predicates` });
    else p.apply.forEach((sub, i) => out.push(...predicateProblems(sub, [...at, 'apply', i])));
  }
  return out;
}
