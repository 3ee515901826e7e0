// Turns CUE's OpenAPI output (components.schemas) into JSON Schema draft-07 definitions.
// What CUE v0.4's encoder leaves out or says differently, and what we do about it:
//   - closed structs carry no `additionalProperties` → we add `additionalProperties: false` to every
//     object schema that is not a oneOf wrapper and has none (open maps are written
//     `{[string]: #Any}` in CUE and so already carry `additionalProperties: {$ref: Any}`);
//   - an embedded definition (`{protocol: "UDP", #UDPListenerFields}`) becomes `allOf: [$ref, …]`,
//     which would defeat closing → we merge the embedded properties and `required` into the struct;
//   - a field whose value is a bare reference loses its doc comment → we restore it from the CUE
//     source (cue-docs.ts) beside the `$ref` (draft-07 tools ignore `$ref` siblings for
//     validation; editors still show the description);
//   - `#/components/schemas/X` → `#/definitions/X`;
//   - a disjunction becomes `oneOf`, which makes a validator try every branch even after one
//     matched → where the branches are provably mutually exclusive (different types, different
//     `protocol` values, or a required key the other closed shape cannot have) we emit `anyOf`,
//     which accepts exactly the same objects and stops at the first match. Editors treat both alike.
import type { CueDocs } from './cue-docs.ts';

export type Schema = { [key: string]: unknown };

const OPENAPI_PREFIX = '#/components/schemas/';
export const DEFINITIONS_PREFIX = '#/definitions/';

/** Canonical keyword order, so the generated file is stable and reads top-down. */
const KEY_ORDER = [
  '$schema',
  '$id',
  '$comment',
  'title',
  'description',
  '$ref',
  'type',
  'enum',
  'const',
  'default',
  'pattern',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'required',
  'properties',
  'additionalProperties',
  'items',
  'oneOf',
  'anyOf',
  'allOf',
  'if',
  'then',
  'else',
  'definitions',
];

function isSchema(v: unknown): v is Schema {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function refName(ref: unknown): string {
  if (typeof ref !== 'string' || !ref.startsWith(OPENAPI_PREFIX))
    throw new Error(`unexpected $ref ${String(ref)}`);
  return ref.slice(OPENAPI_PREFIX.length);
}

/** Puts the dropped doc comments back (walks nested inline structs along `properties`). */
function restoreDocs(node: Schema, path: string, docs: CueDocs): void {
  if (node.description === undefined && docs.has(path)) node.description = docs.get(path);
  const props = node.properties;
  if (isSchema(props)) {
    for (const [name, child] of Object.entries(props)) {
      if (isSchema(child)) restoreDocs(child, `${path}.${name}`, docs);
    }
  }
}

/** Merges `allOf: [{$ref: Embedded}, {required: [...]}]` (CUE embeddings) into the struct. */
function mergeEmbeddings(node: Schema, defs: Record<string, Schema>): void {
  const members = node.allOf;
  if (!Array.isArray(members)) return;
  const properties: Schema = { ...(isSchema(node.properties) ? node.properties : {}) };
  const required: string[] = Array.isArray(node.required) ? [...(node.required as string[])] : [];
  for (const m of members as Schema[]) {
    const src = m.$ref !== undefined ? defs[refName(m.$ref)] : m;
    if (!src) throw new Error(`unknown embedded definition ${String(m.$ref)}`);
    if (src.allOf || src.oneOf || src.anyOf)
      throw new Error('embedding a disjunction cannot be closed; restructure the CUE');
    if (isSchema(src.properties)) Object.assign(properties, structuredClone(src.properties));
    for (const r of (src.required as string[] | undefined) ?? []) if (!required.includes(r)) required.push(r);
  }
  delete node.allOf;
  node.type = 'object';
  // required in field order, as CUE would list them for a struct written out in full
  const order = Object.keys(properties);
  if (required.length > 0) node.required = required.sort((a, b) => order.indexOf(a) - order.indexOf(b));
  node.properties = properties;
}

/**
 * When CUE cannot prove the shapes of a disjunction disjoint (e.g. they share an optional field) it
 * writes each branch as `allOf: [Shape, {not: {anyOf: [other shapes]}}]`. Under `oneOf` ("exactly
 * one matches") the exclusion is implied, so we drop it: editors and error reports then see the
 * plain shapes.
 */
function withoutExclusions(branches: readonly Schema[]): Schema[] {
  const shapes = branches.map((b) => {
    const all = b.allOf;
    if (Object.keys(b).length !== 1 || !Array.isArray(all) || all.length !== 2) return undefined;
    const not = (all[1] as Schema).not;
    if (Object.keys(all[1] as Schema).length !== 1 || !isSchema(not) || !Array.isArray(not.anyOf))
      return undefined;
    return { shape: all[0] as Schema, excluded: not.anyOf as Schema[] };
  });
  if (shapes.some((s) => s === undefined)) return [...branches];
  const key = (s: Schema): string => JSON.stringify(s);
  return shapes.map((s, i) => {
    const others = shapes
      .filter((_, j) => j !== i)
      .map((o) => key(o!.shape))
      .sort();
    const excluded = s!.excluded.map(key).sort();
    if (JSON.stringify(others) !== JSON.stringify(excluded))
      throw new Error('unexpected exclusion pattern in a oneOf');
    return s!.shape;
  });
}

function ordered(node: Schema): Schema {
  const keys = Object.keys(node).sort((a, b) => {
    const ia = KEY_ORDER.indexOf(a);
    const ib = KEY_ORDER.indexOf(b);
    return (ia < 0 ? 1000 : ia) - (ib < 0 ? 1000 : ib) || a.localeCompare(b);
  });
  const out: Schema = {};
  for (const k of keys) out[k] = node[k];
  return out;
}

/** Rewrites refs, closes structs and orders keys, recursively. */
function convert(node: Schema, where: string): Schema {
  if ('nullable' in node)
    throw new Error(`${where}: nullable has no draft-07 form here; avoid null in the CUE`);
  const out: Schema = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === '$ref') out.$ref = DEFINITIONS_PREFIX + refName(v);
    else if (k === 'properties' && isSchema(v)) {
      const props: Schema = {};
      for (const [name, child] of Object.entries(v))
        props[name] = convert(child as Schema, `${where}.${name}`);
      out.properties = props;
    } else if ((k === 'items' || k === 'additionalProperties' || k === 'not') && isSchema(v))
      out[k] = convert(v, `${where}.${k}`);
    else if (k === 'oneOf' && Array.isArray(v)) {
      out[k] = withoutExclusions(v as Schema[]).map((b, i) => convert(b, `${where}|${i}`));
    } else if ((k === 'anyOf' || k === 'allOf') && Array.isArray(v)) {
      out[k] = v.map((b, i) => convert(b as Schema, `${where}|${i}`));
    } else out[k] = v;
  }
  const alternatives = out.oneOf !== undefined || out.anyOf !== undefined;
  const objectLike = out.type === 'object' || out.properties !== undefined || out.required !== undefined;
  if (alternatives && out.properties !== undefined) {
    throw new Error(
      `${where}: a struct mixing fields and a disjunction cannot be closed; use one definition per shape`,
    );
  }
  if (objectLike && !alternatives && out.$ref === undefined) {
    out.type = 'object';
    if (out.additionalProperties === undefined) out.additionalProperties = false;
  }
  return ordered(out);
}

/** Names of definitions or fields that lack a description (every one must have one). */
export function undocumented(defs: Record<string, Schema>): string[] {
  const missing: string[] = [];
  const walk = (node: Schema, path: string): void => {
    if (isSchema(node.properties)) {
      for (const [name, child] of Object.entries(node.properties)) {
        const c = child as Schema;
        if (c.description === undefined) missing.push(`${path}.${name}`);
        walk(c, `${path}.${name}`);
      }
    }
  };
  for (const [name, def] of Object.entries(defs)) {
    if (def.description === undefined) missing.push(name);
    walk(def, name);
  }
  return missing;
}

function resolveRef(node: Schema, defs: Record<string, Schema>): Schema {
  let n = node;
  while (typeof n.$ref === 'string') {
    const next = defs[n.$ref.slice(DEFINITIONS_PREFIX.length)];
    if (!next) throw new Error(`unresolvable ${n.$ref}`);
    n = next;
  }
  return n;
}

/** The shapes of a disjunction, nested disjunctions flattened. */
function shapes(node: Schema, defs: Record<string, Schema>): Schema[] {
  const n = resolveRef(node, defs);
  const alts = n.oneOf ?? n.anyOf;
  return Array.isArray(alts) && n.properties === undefined
    ? alts.flatMap((b) => shapes(b as Schema, defs))
    : [n];
}

function keysOf(n: Schema): string[] {
  return isSchema(n.properties) ? Object.keys(n.properties) : [];
}

function requiredOf(n: Schema): string[] {
  return Array.isArray(n.required) ? (n.required as string[]) : [];
}

/** True when no value can match both shapes (a sufficient test, not a complete one). */
function exclusive(a: Schema, b: Schema, defs: Record<string, Schema>): boolean {
  if (typeof a.type === 'string' && typeof b.type === 'string' && a.type !== b.type) {
    return !(a.type === 'integer' && b.type === 'number') && !(a.type === 'number' && b.type === 'integer');
  }
  if (a.type !== 'object' || b.type !== 'object') return false;
  const lacks = (x: Schema, y: Schema): boolean =>
    y.additionalProperties === false && requiredOf(x).some((k) => !keysOf(y).includes(k));
  if (lacks(a, b) || lacks(b, a)) return true;
  return requiredOf(a).some((k) => {
    if (!requiredOf(b).includes(k)) return false;
    const va = resolveRef((a.properties as Record<string, Schema>)[k]!, defs).enum;
    const vb = resolveRef((b.properties as Record<string, Schema>)[k]!, defs).enum;
    return Array.isArray(va) && Array.isArray(vb) && !va.some((v) => vb.includes(v));
  });
}

/** `oneOf` → `anyOf` wherever every pair of branches is mutually exclusive (see the header). */
function preferAnyOf(node: unknown, defs: Record<string, Schema>): void {
  if (Array.isArray(node)) node.forEach((n) => preferAnyOf(n, defs));
  if (!isSchema(node)) return;
  for (const child of Object.values(node)) preferAnyOf(child, defs);
  if (!Array.isArray(node.oneOf)) return;
  const branches = (node.oneOf as Schema[]).map((b) => shapes(b, defs));
  const pairwise = branches.every((x, i) =>
    branches.every((y, j) => j <= i || x.every((a) => y.every((b) => exclusive(a, b, defs)))),
  );
  if (!pairwise) return;
  const rebuilt: Schema = {};
  for (const [k, v] of Object.entries(node)) rebuilt[k === 'oneOf' ? 'anyOf' : k] = v;
  for (const k of Object.keys(node)) delete node[k];
  Object.assign(node, rebuilt);
}

/** components.schemas of CUE's OpenAPI output → draft-07 definitions, sorted by name. */
export function toDefinitions(components: Record<string, Schema>, docs: CueDocs): Record<string, Schema> {
  const raw: Record<string, Schema> = structuredClone(components);
  for (const [name, def] of Object.entries(raw)) restoreDocs(def, name, docs);
  for (const def of Object.values(raw)) mergeEmbeddings(def, raw);
  const defs: Record<string, Schema> = {};
  for (const name of Object.keys(raw).sort()) defs[name] = convert(raw[name]!, name);
  preferAnyOf(defs, defs);
  return defs;
}

/** The definitions reachable from `root` by `$ref` (including root), sorted by name. */
export function reachable(defs: Record<string, Schema>, root: string): Record<string, Schema> {
  const seen = new Set<string>();
  const visit = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(visit);
    else if (isSchema(v)) {
      for (const [k, child] of Object.entries(v)) {
        if (k === '$ref' && typeof child === 'string') {
          const name = child.slice(DEFINITIONS_PREFIX.length);
          if (!seen.has(name)) {
            seen.add(name);
            visit(defs[name]);
          }
        } else visit(child);
      }
    }
  };
  seen.add(root);
  visit(defs[root]);
  const out: Record<string, Schema> = {};
  for (const name of [...seen].sort()) out[name] = defs[name]!;
  return out;
}
