// One schema violation → one issue in the user's words: catalogue code, path, message, hint.
// Never ajv's own wording ("must NOT have additional properties", "must match exactly one schema").
import type { ErrorObject } from 'ajv';
import type { Code } from '../../diagnostics/catalogue.ts';
import { formatPath, type PathSegment } from '../../diagnostics/diagnostic.ts';
import { didYouMean } from '../../diagnostics/suggest.ts';
import { API_VERSION } from '../../model/raw.ts';
import { isNode, type SchemaNode } from './schema.ts';

/** A diagnostic before it is placed in a file: `path` is relative to the object's root. */
export interface Issue {
  readonly code: Code;
  readonly path: readonly PathSegment[];
  readonly message: string;
  readonly hint?: string;
  readonly target?: 'key';
}

/** `spec.listener.port` in backticks, or "the object" at the root. */
export function where(path: readonly PathSegment[]): string {
  return path.length === 0 ? 'the object' : `\`${formatPath(path)}\``;
}

/** "a string", "a list", "a mapping", … (YAML words: users write YAML). */
export function typeName(t: string): string {
  switch (t) {
    case 'object':
      return 'a mapping';
    case 'array':
      return 'a list';
    case 'integer':
      return 'an integer';
    case 'null':
      return 'null';
    default:
      return `a ${t}`;
  }
}

export function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/** A short rendering of a value for messages: scalars as written, containers by type only. */
export function shown(v: unknown): string {
  if (v === null || typeof v === 'object') return typeName(jsonType(v));
  if (typeof v === 'string' && /^[\x21-\x5f\x61-\x7e]{1,40}$/.test(v)) return `\`${v}\``;
  const text = JSON.stringify(v);
  return `\`${text.length > 40 ? `${text.slice(0, 37)}…` : text}\``;
}

export function actual(v: unknown): string {
  if (v === null || typeof v === 'object') return typeName(jsonType(v));
  return `${typeName(jsonType(v))} (${shown(v)})`;
}

export function oneOfValues(values: readonly unknown[]): string {
  return values.map((v) => `\`${String(v)}\``).join(', ');
}

const PATTERNS: Record<string, string> = {
  '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$':
    "a valid name: a DNS label (lowercase letters, digits and '-', starting and ending with a letter or digit; no dots)",
  '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)?$':
    "a valid reference: `name` or `name.namespace`, each a DNS label (lowercase letters, digits and '-')",
  '^https?://': 'an http:// or https:// URL',
};

function allowedValues(e: ErrorObject): unknown[] {
  if (e.keyword === 'const') return [(e.params as { allowedValue: unknown }).allowedValue];
  return ((e.params as { allowedValues?: unknown[] }).allowedValues ?? []) as unknown[];
}

/** The issue for one ajv error at `path` (object-relative), or undefined for bookkeeping errors. */
export function issueFor(e: ErrorObject, path: readonly PathSegment[]): Issue | undefined {
  const parent: SchemaNode = isNode(e.parentSchema) ? e.parentSchema : {};
  const data: unknown = e.data;
  if (path.length === 1 && path[0] === 'apiVersion') {
    return {
      code: 'L7C3002',
      path,
      message: `unsupported apiVersion ${shown(data)}; expected \`${API_VERSION}\``,
      hint: `set \`apiVersion: ${API_VERSION}\` or leave it out`,
    };
  }
  switch (e.keyword) {
    case 'if': // "must match then": the then-branch's own errors say what is wrong
      return undefined;
    case 'required': {
      const field = (e.params as { missingProperty: string }).missingProperty;
      const prop = isNode(parent.properties)
        ? (parent.properties as Record<string, SchemaNode>)[field]
        : undefined;
      const doc = typeof prop?.description === 'string' ? prop.description.split('\n').join(' ') : undefined;
      return {
        code: 'L7C3003',
        path,
        message: `${where(path)} is missing the required field \`${field}\``,
        ...(doc ? { hint: `\`${field}\`: ${doc}` } : {}),
      };
    }
    case 'type': {
      const expected = String((e.params as { type: string | string[] }).type)
        .split(',')
        .map(typeName)
        .join(' or ');
      return { code: 'L7C3004', path, message: `${where(path)} must be ${expected}, got ${actual(data)}` };
    }
    case 'additionalProperties': {
      const key = (e.params as { additionalProperty: string }).additionalProperty;
      const allowed = isNode(parent.properties) ? Object.keys(parent.properties) : [];
      const hint =
        allowed.length === 0
          ? `${where(path)} takes no fields`
          : (didYouMean(key, allowed) ?? `allowed fields: ${oneOfValues(allowed)}`);
      return {
        code: 'L7C3005',
        path: [...path, key],
        message: `unknown field \`${key}\` in ${where(path)}`,
        hint,
      };
    }
    case 'enum':
    case 'const': {
      const values = allowedValues(e);
      const message =
        values.length === 1
          ? `${where(path)} must be \`${String(values[0])}\`, got ${shown(data)}`
          : `${where(path)} must be one of ${oneOfValues(values)}; got ${shown(data)}`;
      const guess = typeof data === 'string' ? didYouMean(data, values.map(String)) : undefined;
      return { code: 'L7C3006', path, message, ...(guess ? { hint: guess } : {}) };
    }
    case 'pattern': {
      const pattern = (e.params as { pattern: string }).pattern;
      const wanted = PATTERNS[pattern] ?? `a string matching the regular expression /${pattern}/`;
      return { code: 'L7C3006', path, message: `${where(path)} must be ${wanted}; got ${shown(data)}` };
    }
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum': {
      const { minimum, maximum } = parent as { minimum?: number; maximum?: number };
      const range =
        minimum !== undefined && maximum !== undefined
          ? `between ${minimum} and ${maximum}`
          : minimum !== undefined
            ? `at least ${minimum}`
            : maximum !== undefined
              ? `at most ${maximum}`
              : `${(e.params as { comparison: string }).comparison} ${String((e.params as { limit: number }).limit)}`;
      return { code: 'L7C3006', path, message: `${where(path)} must be ${range}, got ${shown(data)}` };
    }
    case 'minLength':
    case 'maxLength': {
      const limit = (e.params as { limit: number }).limit;
      const bound = e.keyword === 'minLength' ? 'at least' : 'at most';
      const length = typeof data === 'string' ? [...data].length : 0;
      return {
        code: 'L7C3006',
        path,
        message: `${where(path)} must be ${bound} ${limit} characters long, got ${length}`,
      };
    }
    default:
      return { code: 'L7C3006', path, message: `${where(path)} has an invalid value: ${shown(data)}` };
  }
}
