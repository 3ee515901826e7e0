// ajv's errors for one object → the issues a user needs. The hard part is a CUE disjunction
// (`anyOf`/`oneOf` in the generated schema): ajv reports every branch's failures, e.g. twelve "missing protocol key" errors for
// one mistyped port. We instead pick the branch the user evidently meant, by a discriminator:
//   - the JSON type (a string reference vs an inline object);
//   - `protocol: X` in the flat form;
//   - a key only one shape has: the protocol key of the keyed form (`{UDP: {...}}`), `spec` vs
//     `selector` of an endpoint, `cluster`/`spec`/`linkedVirtualService` of a Target, …;
// then re-validate the value against that branch alone and report only its errors (recursively,
// for disjunctions nested inside it). When nothing picks a branch we say which shapes are accepted.
import type { ErrorObject } from 'ajv';
import type { PathSegment } from '../../diagnostics/diagnostic.ts';
import { didYouMean } from '../../diagnostics/suggest.ts';
import { actual, issueFor, jsonType, oneOfValues, shown, typeName, where, type Issue } from './messages.ts';
import { isNode, type CompiledSchema, type SchemaNode } from './schema.ts';

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A JSON pointer into `data` → path segments (numbers for list indexes). */
function segmentsOf(instancePath: string, data: unknown): PathSegment[] {
  if (instancePath === '') return [];
  const out: PathSegment[] = [];
  let cur: unknown = data;
  for (const raw of instancePath.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(cur)) {
      const i = Number(key);
      out.push(i);
      cur = cur[i];
    } else {
      out.push(key);
      cur = isObj(cur) ? cur[key] : undefined;
    }
  }
  return out;
}

function startsWith(path: readonly PathSegment[], prefix: readonly PathSegment[]): boolean {
  return prefix.length <= path.length && prefix.every((s, i) => path[i] === s);
}

// --- what a branch looks like --------------------------------------------------------------------

function props(n: SchemaNode): string[] {
  return isNode(n.properties) ? Object.keys(n.properties) : [];
}

function required(n: SchemaNode): string[] {
  return Array.isArray(n.required) ? (n.required as string[]) : [];
}

/** The protocol values of a flat-form shape (`protocol: {enum: [UDP]}`), if it is one. */
function protocols(n: SchemaNode): string[] | undefined {
  const p = isNode(n.properties) ? (n.properties as Record<string, unknown>).protocol : undefined;
  return isNode(p) && Array.isArray(p.enum) ? (p.enum as string[]) : undefined;
}

/** The protocol key of a keyed-form shape (`{UDP: {...}}`), if it is one. */
function keyedProtocol(n: SchemaNode): string | undefined {
  const [key, ...more] = props(n);
  return key !== undefined && more.length === 0 && required(n)[0] === key && /^[A-Z]/.test(key)
    ? key
    : undefined;
}

function types(n: SchemaNode): string[] | undefined {
  if (typeof n.type === 'string') return [n.type];
  return Array.isArray(n.type) ? (n.type as string[]) : undefined;
}

function accepts(n: SchemaNode, v: unknown): boolean {
  const ts = types(n);
  if (!ts) return true;
  const t = jsonType(v);
  return ts.includes(t) || (t === 'integer' && ts.includes('number'));
}

function hintIf(hint: string | undefined): { hint?: string } {
  return hint === undefined ? {} : { hint };
}

function unique<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}

function orList(parts: readonly string[]): string {
  return parts.length <= 1
    ? (parts[0] ?? '')
    : `${parts.slice(0, -1).join(', ')} or ${parts[parts.length - 1]}`;
}

/** "{protocol: UDP|TCP, …}, {UDP|TCP: {…}} or {spec: …}" */
function describeShapes(leaves: readonly SchemaNode[]): string {
  const parts: string[] = [];
  const flat = unique(leaves.flatMap((n) => protocols(n) ?? []));
  if (flat.length > 0) parts.push(`\`{protocol: ${flat.join('|')}, …}\``);
  const keyed = unique(leaves.map(keyedProtocol).filter((k): k is string => k !== undefined));
  if (keyed.length > 0) parts.push(`\`{${keyed.join('|')}: {…}}\``);
  for (const n of leaves) {
    if (protocols(n) || keyedProtocol(n)) continue;
    if (types(n)?.includes('object') ?? isNode(n.properties)) {
      const req = required(n);
      parts.push(req.length > 0 ? `\`{${req.map((k) => `${k}: …`).join(', ')}}\`` : '`{…}`');
    } else parts.push(orList((types(n) ?? ['value']).map(typeName)));
  }
  return orList(unique(parts));
}

// --- choosing the branch -------------------------------------------------------------------------

type Choice = { leaf: SchemaNode } | { issues: Issue[] };

/** Branches of a disjunction, with nested disjunctions (`#Listener | #ListenerSpec`) flattened. */
function leavesOf(branches: readonly unknown[], schema: CompiledSchema): SchemaNode[] {
  return branches.flatMap((b) => {
    if (!isNode(b)) return [];
    const n = schema.resolve(b);
    const alternatives = n.anyOf ?? n.oneOf;
    return Array.isArray(alternatives) && n.properties === undefined ? leavesOf(alternatives, schema) : [n];
  });
}

function choose(leaves: readonly SchemaNode[], value: unknown, at: readonly PathSegment[]): Choice {
  const typed = leaves.filter((n) => accepts(n, value));
  if (typed.length === 0) {
    const expected = orList(unique(leaves.flatMap((n) => types(n) ?? [])).map(typeName));
    return {
      issues: [
        { code: 'L7C3004', path: at, message: `${where(at)} must be ${expected}, got ${actual(value)}` },
      ],
    };
  }
  if (typed.length === 1) return { leaf: typed[0]! };
  const shapes = describeShapes(typed);
  if (!isObj(value)) {
    return {
      issues: [
        {
          code: 'L7C3007',
          path: at,
          message: `${where(at)} matches none of the accepted shapes`,
          hint: `expected ${shapes}`,
        },
      ],
    };
  }
  let candidates = typed;
  const flat = candidates.filter((n) => protocols(n) !== undefined);
  if ('protocol' in value && flat.length > 0) {
    const p = value.protocol;
    const ppath = [...at, 'protocol'];
    if (typeof p !== 'string') {
      return {
        issues: [
          {
            code: 'L7C3004',
            path: ppath,
            message: `${where(ppath)} must be a string (a protocol name), got ${actual(p)}`,
          },
        ],
      };
    }
    const matching = flat.filter((n) => protocols(n)!.includes(p));
    if (matching.length === 1) return { leaf: matching[0]! };
    if (matching.length === 0) {
      const allowed = unique(flat.flatMap((n) => protocols(n)!));
      return {
        issues: [
          {
            code: 'L7C3006',
            path: ppath,
            message: `${shown(p)} is not a valid protocol for ${where(at)}; expected one of ${oneOfValues(allowed)}`,
            ...hintIf(didYouMean(p, allowed)),
          },
        ],
      };
    }
    candidates = matching;
  }
  const keys = Object.keys(value);
  const distinguishing = (n: SchemaNode): string[] =>
    required(n).filter((k) => candidates.every((o) => o === n || !props(o).includes(k)));
  const hits = candidates.filter((n) => distinguishing(n).some((k) => keys.includes(k)));
  if (hits.length === 1) return { leaf: hits[0]! };
  if (hits.length > 1) {
    const keyed = hits.map(keyedProtocol);
    if (keyed.every((k) => k !== undefined)) {
      return {
        issues: [
          {
            code: 'L7C3007',
            path: at,
            message: `${where(at)} has more than one protocol key (${oneOfValues(keyed)}); a protocol-keyed spec has exactly one`,
          },
        ],
      };
    }
    const used = unique(hits.flatMap((n) => distinguishing(n).filter((k) => keys.includes(k))));
    return {
      issues: [
        {
          code: 'L7C3007',
          path: at,
          message: `${where(at)} sets ${orList(used.map((k) => `\`${k}\``)).replace(/ or /, ' and ')}; use exactly one of them`,
          hint: `expected ${shapes}`,
        },
      ],
    };
  }
  const allProps = unique(candidates.flatMap(props));
  const unknown = keys.filter((k) => !allProps.includes(k));
  const keyedNames = unique(candidates.map(keyedProtocol).filter((k): k is string => k !== undefined));
  if (keyedNames.length > 0 && keys.length === 1 && unknown.length === 1 && /^[A-Z]/.test(unknown[0]!)) {
    const key = unknown[0]!;
    const kpath = [...at, key];
    return {
      issues: [
        {
          code: 'L7C3006',
          path: kpath,
          target: 'key',
          message: `\`${key}\` is not a valid protocol for ${where(at)}; expected one of ${oneOfValues(keyedNames)}`,
          ...hintIf(didYouMean(key, keyedNames)),
        },
      ],
    };
  }
  if (unknown.length > 0) {
    return {
      issues: unknown.map((k) => ({
        code: 'L7C3005' as const,
        path: [...at, k],
        message: `unknown field \`${k}\` in ${where(at)}`,
        hint: didYouMean(k, allProps) ?? `expected ${shapes}`,
      })),
    };
  }
  if (flat.length > 0 && !('protocol' in value) && keys.length > 0) {
    const flatProps = unique(flat.flatMap(props));
    if (keys.every((k) => flatProps.includes(k))) {
      const allowed = unique(flat.flatMap((n) => protocols(n)!));
      return {
        issues: [
          {
            code: 'L7C3003',
            path: at,
            message: `${where(at)} is missing the required field \`protocol\``,
            hint: `protocol: one of ${oneOfValues(allowed)}`,
          },
        ],
      };
    }
  }
  return {
    issues: [
      {
        code: 'L7C3007',
        path: at,
        message: `${where(at)} matches none of the accepted shapes`,
        hint: `expected ${shapes}`,
      },
    ],
  };
}

// --- the walk ----------------------------------------------------------------------------------

function explainAlternatives(e: ErrorObject, at: readonly PathSegment[], schema: CompiledSchema): Issue[] {
  const branches = Array.isArray(e.schema) ? (e.schema as unknown[]) : [];
  const passing = (e.params as { passingSchemas?: number[] | null }).passingSchemas;
  if (Array.isArray(passing)) {
    const matched = passing
      .map((i) => branches[i])
      .filter(isNode)
      .map((b) => schema.resolve(b));
    return [
      {
        code: 'L7C3007',
        path: at,
        message: `${where(at)} is ambiguous: it matches more than one accepted shape (${describeShapes(matched)})`,
      },
    ];
  }
  const value: unknown = e.data;
  const choice = choose(leavesOf(branches, schema), value, at);
  if ('issues' in choice) return choice.issues;
  const validate = schema.validatorFor(choice.leaf);
  if (validate(value)) return [];
  return explain([...(validate.errors ?? [])], value, at, schema);
}

/**
 * Issues for ajv's `errors` about `data`, which sits at `prefix` inside the object. Disjunctions
 * are explained outermost first; every other error at or below one of them was branch noise.
 */
export function explain(
  errors: readonly ErrorObject[],
  data: unknown,
  prefix: readonly PathSegment[],
  schema: CompiledSchema,
): Issue[] {
  const located = errors.map((e, i) => ({ e, i, path: segmentsOf(e.instancePath, data) }));
  const isAlternative = (e: ErrorObject): boolean => e.keyword === 'oneOf' || e.keyword === 'anyOf';
  // outermost first; at one path ajv reports the outer disjunction after the inner ones
  const alternatives = located
    .filter((x) => isAlternative(x.e))
    .sort((a, b) => a.path.length - b.path.length || b.i - a.i);
  const handled: PathSegment[][] = [];
  const issues: Issue[] = [];
  for (const x of alternatives) {
    if (handled.some((h) => startsWith(x.path, h))) continue;
    handled.push(x.path);
    issues.push(...explainAlternatives(x.e, [...prefix, ...x.path], schema));
  }
  for (const x of located) {
    if (isAlternative(x.e) || handled.some((h) => startsWith(x.path, h))) continue;
    const issue = issueFor(x.e, [...prefix, ...x.path]);
    if (issue) issues.push(issue);
  }
  return issues;
}
