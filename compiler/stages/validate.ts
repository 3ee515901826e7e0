// Stage 3, validate: every parsed object against the JSON Schema generated from schemas/*.cue.
// Objects that pass go on to the normaliser; each failing object gets every one of its problems
// reported (deduplicated), as L7C3xxx diagnostics with the YAML path of the offending field. Line
// and column are filled in later from the path (the pipeline's locator).
import type { Diagnostics, PathSegment } from '../diagnostics/diagnostic.ts';
import { didYouMean } from '../diagnostics/suggest.ts';
import { API_VERSION, KINDS, type RawObject } from '../model/raw.ts';
import { explain } from './validate/explain.ts';
import { actual, oneOfValues, shown, type Issue } from './validate/messages.ts';
import { compiledSchema } from './validate/schema.ts';

const KIND_LIST = oneOfValues(KINDS);

/** The checks that come before the schema: without a known kind there is no schema to apply. */
function kindIssues(value: Record<string, unknown>): Issue[] {
  const kind = value.kind;
  if (kind === undefined) {
    return [
      {
        code: 'L7C3008',
        path: [],
        message: 'the object has no `kind`',
        hint: `set \`kind\` to one of ${KIND_LIST}`,
      },
    ];
  }
  if (typeof kind !== 'string') {
    return [
      {
        code: 'L7C3004',
        path: ['kind'],
        message: `\`kind\` must be a string, got ${actual(kind)}`,
        hint: `one of ${KIND_LIST}`,
      },
    ];
  }
  if (!(KINDS as readonly string[]).includes(kind)) {
    const foreign =
      value.apiVersion !== undefined && value.apiVersion !== API_VERSION
        ? ` (apiVersion ${shown(value.apiVersion)} is not ${API_VERSION})`
        : '';
    return [
      {
        code: 'L7C3001',
        path: ['kind'],
        message: `unknown kind \`${kind}\`${foreign}; the ${API_VERSION} kinds are ${KIND_LIST}`,
        hint: didYouMean(kind, KINDS) ?? `one of ${KIND_LIST}`,
      },
    ];
  }
  return [];
}

/** What the schema cannot say: a VirtualService has one rule list, in one of two places. */
function ruleListIssues(value: Record<string, unknown>): Issue[] {
  const spec = value.spec;
  if (value.kind !== 'VirtualService' || !isMapping(spec) || !isMapping(spec.listener)) return [];
  if (spec.rules === undefined || spec.listener.rules === undefined) return [];
  return [
    {
      code: 'L7C3007',
      path: ['spec', 'rules'],
      message: '`spec.rules` and `spec.listener.rules` are both set; a VirtualService has one rule list',
      hint: 'move the rules into one of the two places',
    },
  ];
}

/** A listener written in both forms at once: `{spec: …}` and the flat `{protocol, port}` (or keyed). */
function mixedListenerIssues(value: Record<string, unknown>): Issue[] {
  const spec = value.spec;
  if (value.kind !== 'VirtualService' || !isMapping(spec) || !isMapping(spec.listener)) return [];
  const l = spec.listener;
  if (l.spec === undefined || !('protocol' in l || Object.keys(l).some((k) => /^[A-Z]/.test(k)))) return [];
  return [
    {
      code: 'L7C3007',
      path: ['spec', 'listener'],
      message:
        '`spec.listener` mixes two forms: `{spec: LISTENER_SPEC, rules}` and a flat or protocol-keyed listener spec',
      hint: 'either `listener: {spec: {UDP: {port: 5053}}, rules: [...]}` or `listener: {protocol: UDP, port: 5053}` with the rules at `spec.rules`',
      target: 'key',
    },
  ];
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function issuesOf(value: Record<string, unknown>): Issue[] {
  const pre = kindIssues(value);
  if (pre.length > 0) return pre;
  const mixed = mixedListenerIssues(value);
  if (mixed.length > 0) return mixed;
  const schema = compiledSchema();
  const shape =
    schema.check(value) || schema.root(value)
      ? []
      : explain([...(schema.root.errors ?? [])], value, [], schema);
  return [...shape, ...ruleListIssues(value)];
}

/** Returns the objects that pass; adds diagnostics for the others. */
export function validate(objects: readonly RawObject[], diags: Diagnostics): RawObject[] {
  const valid: RawObject[] = [];
  for (const obj of objects) {
    const issues = issuesOf(obj.value);
    if (issues.length === 0) {
      valid.push(obj);
      continue;
    }
    const seen = new Set<string>();
    for (const issue of issues) {
      const path: PathSegment[] = [...obj.src.base, ...issue.path];
      const key = JSON.stringify([issue.code, path, issue.message]);
      if (seen.has(key)) continue;
      seen.add(key);
      diags.add({
        code: issue.code,
        message: issue.message,
        file: obj.src.file,
        document: obj.src.document,
        path,
        ...(issue.hint !== undefined ? { hint: issue.hint } : {}),
        ...(issue.target ? { target: issue.target } : {}),
      });
    }
  }
  return valid;
}
