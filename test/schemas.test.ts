// The checked-in JSON Schema (schemas/generated/) is what a fresh generation from schemas/*.cue
// gives, and it accepts and rejects what the contract (docs/model.md) says. Uses the real CUE
// WebAssembly build and a plain ajv, as an editor or CI tool would.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import AjvModule from 'ajv';
import yaml from 'js-yaml';
import { GENERATED_DIR, MAIN_SCHEMA_FILE, kindSchemaFile, staleSchemaFiles } from '../schemas/generate.ts';
import { extractCueDocs } from '../schemas/cue-docs.ts';

const Ajv = AjvModule.default;
type Schema = Record<string, any>;

const load = (file: string): Schema => JSON.parse(readFileSync(join(GENERATED_DIR, file), 'utf8'));
const main = load(MAIN_SCHEMA_FILE);
const validator = new Ajv({ allErrors: true, strict: false }).compile(main);
const valid = (o: unknown): boolean => validator(o);

const KINDS = ['VirtualService', 'Target', 'Route', 'Rule', 'Proxy', 'Service'];
const meta = { name: 'a' };

test('the generated JSON Schema is up to date with schemas/*.cue', async () => {
  assert.deepEqual(
    await staleSchemaFiles(),
    [],
    'schemas/generated is stale: run `npx tsx schemas/generate.ts`',
  );
});

test('one file per kind next to the main schema, each a draft-07 document that compiles', () => {
  const files = readdirSync(GENERATED_DIR).sort();
  assert.deepEqual(files, [MAIN_SCHEMA_FILE, ...KINDS.map(kindSchemaFile)].sort());
  for (const f of files) {
    const s = load(f);
    assert.equal(s.$schema, 'http://json-schema.org/draft-07/schema#');
    new Ajv({ strict: false }).compile(s);
  }
  const vs = new Ajv({ strict: false }).compile(load(kindSchemaFile('VirtualService')));
  assert.ok(vs({ kind: 'VirtualService', metadata: meta, spec: {} }));
  assert.ok(!vs({ kind: 'Target', metadata: meta, spec: { linkedVirtualService: 'x' } }));
});

test('every definition and field has a description; every closed struct says so', () => {
  const problems: string[] = [];
  const walk = (node: unknown, at: string): void => {
    if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${at}[${i}]`));
    if (typeof node !== 'object' || node === null) return;
    const n = node as Schema;
    if (n.properties) {
      if (n.additionalProperties === undefined) problems.push(`${at}: no additionalProperties`);
      for (const [k, v] of Object.entries(n.properties as Schema)) {
        if (typeof v.description !== 'string') problems.push(`${at}.${k}: no description`);
      }
    }
    for (const [k, v] of Object.entries(n)) if (k !== 'properties') walk(v, `${at}/${k}`);
    if (n.properties) for (const [k, v] of Object.entries(n.properties as Schema)) walk(v, `${at}.${k}`);
  };
  for (const [name, def] of Object.entries(main.definitions as Schema)) {
    if (typeof def.description !== 'string') problems.push(`${name}: no description`);
    walk(def, name);
  }
  assert.deepEqual(problems, []);
});

test('cue-docs reads field comments along nested structs', () => {
  const docs = extractCueDocs([
    'package v1\n\n// A.\n#A: {\n\t// the x\n\tx: #B\n\t// nested\n\tn?: {\n\t\t// deep\n\t\td: "{" \n\t}\n\t// after\n\ty: int\n}\n',
  ]);
  assert.equal(docs.get('A'), 'A.');
  assert.equal(docs.get('A.x'), 'the x');
  assert.equal(docs.get('A.n.d'), 'deep');
  assert.equal(docs.get('A.y'), 'after');
});

test('accepts every form of the contract', () => {
  const ok: unknown[] = [
    { kind: 'VirtualService', metadata: meta, spec: {} },
    {
      apiVersion: 'l7mp.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'gw', namespace: 'ns-1', labels: { app: 'x' }, annotations: { note: 'y' } },
      spec: {
        selector: {
          matchLabels: { app: 'gw' },
          matchExpressions: [
            { key: 'tier', operator: 'In', values: ['a'] },
            { key: 'x', operator: 'Exists' },
          ],
          matchService: 'svc',
          matchNamespace: 'default',
        },
        listener: {
          name: 'l',
          spec: { JSONSocket: { transport: { protocol: 'UDP', port: 19000 } } },
          options: { track: 60 },
          rules: [
            {
              name: 'r',
              match: { op: 'test', path: '/a', value: 1 },
              action: {
                rewrite: [{ path: '/labels/x', value: { any: ['thing'] } }],
                route: {
                  destination: { spec: { Sync: { query: '/labels/id' } } },
                  ingress: ['t1', 't2.other', { spec: { protocol: 'Logger', log_prefix: 'in' } }],
                  egress: [{ spec: { Echo: {} } }],
                  retry: { retry_on: 'always', num_retries: 3, timeout: 1000 },
                },
              },
            },
            { action: { route: 'a-route', apply: 'other-list' } },
          ],
        },
      },
    },
    {
      kind: 'VirtualService',
      metadata: meta,
      spec: {
        listener: {
          protocol: 'UDP',
          port: 5000,
          connect: { address: '1.2.3.4', port: 5 },
          options: { mode: 'singleton' },
        },
        rules: [{ action: { route: { destination: 'x' } } }],
      },
    },
    {
      kind: 'VirtualService',
      metadata: meta,
      spec: { listener: { UnixDomainSocket: { filename: '/tmp/s' } } },
    },
    { kind: 'VirtualService', metadata: meta, spec: { listener: { HTTP: { port: 80, path: '/' } } } },
    { kind: 'Target', metadata: meta, spec: { linkedVirtualService: 'vs', selector: {} } },
    {
      kind: 'Target',
      metadata: meta,
      spec: {
        cluster: {
          name: 'c',
          spec: { UDP: { port: 9, bind: { address: '127.0.0.1', port: 9999 } } },
          endpoints: [
            { name: 'e', spec: { address: 'a', port: 1 }, weight: 0 },
            { selector: { matchLabels: { a: 'b' } } },
          ],
          loadbalancer: { policy: 'ConsistentHash', key: '/labels/session_id' },
          options: { whatever: [1, 2] },
        },
      },
    },
    {
      kind: 'Target',
      metadata: meta,
      spec: {
        spec: {
          protocol: 'JSONSocket',
          transport: { TCP: { port: 1 } },
          header: [{ path: { from: '/a', to: '/b' } }, { set: { key: '/c', value: 'd' } }],
        },
      },
    },
    ...['Echo', 'Discard', 'JSONEncap', 'JSONDecap', 'Stdio', 'Prometheus', 'UnixDomainSocket'].flatMap(
      (p) => [
        { kind: 'Target', metadata: meta, spec: { spec: { [p]: {} } } },
        { kind: 'Target', metadata: meta, spec: { spec: { protocol: p } } },
      ],
    ),
    { kind: 'Route', metadata: meta, spec: { destination: 'worker.media' } },
    {
      kind: 'Rule',
      metadata: meta,
      spec: { virtualService: 'gw', position: 0, rule: { action: { route: 'r' } } },
    },
    {
      kind: 'Proxy',
      metadata: { name: 'gw-1', labels: { app: 'x' } },
      spec: {
        admin: { url: 'https://h:1234', headers: { Authorization: 'x' }, tls: { ca: 'c', insecure: true } },
        address: '127.0.0.1',
        services: ['svc'],
      },
    },
    { kind: 'Service', metadata: meta, spec: { protocol: 'UDP', port: 9999, endpoints: [{ address: 'a' }] } },
    {
      kind: 'Service',
      metadata: meta,
      spec: { spec: { UDP: { port: 9999 } }, endpoints: [{ address: 'a', port: 1 }] },
    },
  ];
  for (const o of ok) assert.ok(valid(o), `${JSON.stringify(o)}: ${JSON.stringify(validator.errors)}`);
});

test('rejects what the contract excludes', () => {
  const bad: Record<string, unknown> = {
    'no kind': { metadata: meta, spec: {} },
    'unknown kind': { kind: 'Gateway', metadata: meta, spec: {} },
    'other apiVersion': { apiVersion: 'v1', kind: 'Route', metadata: meta, spec: { destination: 'a' } },
    'no metadata': { kind: 'Route', spec: { destination: 'a' } },
    'dotted name': { kind: 'Route', metadata: { name: 'a.b' }, spec: { destination: 'a' } },
    'unknown field': { kind: 'Route', metadata: meta, spec: { destination: 'a', extra: 1 } },
    'HTTP cluster': { kind: 'Target', metadata: meta, spec: { spec: { protocol: 'HTTP', port: 80 } } },
    'L7mpController cluster': { kind: 'Target', metadata: meta, spec: { spec: { L7mpController: {} } } },
    'fields in an empty keyed struct': { kind: 'Target', metadata: meta, spec: { spec: { Echo: { x: 1 } } } },
    'two protocol keys': {
      kind: 'VirtualService',
      metadata: meta,
      spec: { listener: { UDP: { port: 1 }, TCP: { port: 2 } } },
    },
    'no port': { kind: 'VirtualService', metadata: meta, spec: { listener: { protocol: 'TCP' } } },
    'port 0': { kind: 'VirtualService', metadata: meta, spec: { listener: { UDP: { port: 0 } } } },
    'HTTP transport': {
      kind: 'VirtualService',
      metadata: meta,
      spec: { listener: { JSONSocket: { transport: { HTTP: { port: 1 } } } } },
    },
    'cluster and linkedVirtualService': {
      kind: 'Target',
      metadata: meta,
      spec: { cluster: { spec: { Echo: {} } }, linkedVirtualService: 'x' },
    },
    'empty Target spec': { kind: 'Target', metadata: meta, spec: {} },
    'bad retry_on': {
      kind: 'Route',
      metadata: meta,
      spec: { destination: 'a', retry: { retry_on: 'maybe' } },
    },
    'negative position': {
      kind: 'Rule',
      metadata: meta,
      spec: { virtualService: 'a', position: -1, rule: { action: {} } },
    },
    'ftp admin url': { kind: 'Proxy', metadata: meta, spec: { admin: { url: 'ftp://x' }, address: 'a' } },
    'Service with HTTP': { kind: 'Service', metadata: meta, spec: { protocol: 'HTTP', port: 80 } },
  };
  for (const [what, o] of Object.entries(bad)) assert.ok(!valid(o), `accepted: ${what}`);
});

test('the example repositories validate', () => {
  const dir = join(import.meta.dirname, '..', 'examples');
  const files = readdirSync(dir, { recursive: true, encoding: 'utf8' }).filter((f) => /\.ya?ml$/.test(f));
  let n = 0;
  for (const f of files) {
    for (const doc of yaml.loadAll(readFileSync(join(dir, f), 'utf8'))) {
      const o = doc as Schema | null;
      if (!o || (o.apiVersion !== undefined && o.apiVersion !== 'l7mp.io/v1') || !KINDS.includes(o.kind))
        continue;
      n++;
      assert.ok(valid(o), `${f}: ${o.kind} ${o.metadata?.name}: ${JSON.stringify(validator.errors)}`);
    }
  }
  assert.ok(n > 0, 'no l7mp.io/v1 objects found under examples/');
});
