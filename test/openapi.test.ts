// Every example's emitted per-proxy config validates against the proxy's own OpenAPI schema, from
// the installed @l7mp/l7mp package (the schema the proxy itself checks in strict mode).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parse } from 'yaml';
import { Ajv } from 'ajv';
import { compileRepo } from '../runtime/compile-repo.ts';
import { staticConfig } from '../compiler/stages/emit.ts';
import { EXAMPLES, exampleDir } from './support/examples.ts';

const pkg = dirname(createRequire(import.meta.url).resolve('@l7mp/l7mp/package.json'));
const openapi = parse(readFileSync(join(pkg, 'openapi', 'l7mp-openapi.yaml'), 'utf8'));

function validator(schemaName: string) {
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addSchema({ $id: 'l7mp', components: openapi.components }, 'l7mp');
  return ajv.compile({ $ref: `l7mp#/components/schemas/${schemaName}` });
}

const config = validator('io.l7mp.api.v1.Config');
const objects = {
  listeners: validator('io.l7mp.api.v1.Listener'),
  clusters: validator('io.l7mp.api.v1.Cluster'),
  rulelists: validator('io.l7mp.api.v1.RuleList'),
  rules: validator('io.l7mp.api.v1.Rule'),
  routes: validator('io.l7mp.api.v1.Route'),
};

for (const name of EXAMPLES) {
  test(`emitted configs validate against the l7mp OpenAPI schema: ${name}`, async () => {
    const res = await compileRepo(exampleDir(name));
    assert.equal(res.hasErrors, false);
    assert.ok(res.graphs.length > 0);
    for (const g of res.graphs) {
      const cfg = staticConfig(g);
      assert.ok(config(cfg), `${g.proxy}: ${JSON.stringify(config.errors)}`);
      for (const [kind, validate] of Object.entries(objects))
        for (const o of (cfg as Record<string, unknown[]>)[kind] ?? [])
          assert.ok(validate(o), `${g.proxy} ${kind}: ${JSON.stringify(validate.errors)}`);
      for (const e of g.endpoints) assert.ok(!/\s/.test(e.name) && !/^\d/.test(e.name));
    }
  });
}
