// Golden tests: the lowered graph of every example is pinned in test/golden/<example>.graph.json.
// After an intended change run `make golden-accept` and review the diff like code.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileRepo } from '../runtime/compile-repo.ts';
import { graphDocument } from '../compiler/stages/emit.ts';
import { EXAMPLES, exampleDir, repoRoot } from './support/examples.ts';

const accept = process.env.L7MP_ACCEPT === '1';

for (const name of EXAMPLES) {
  test(`golden lowered graph: ${name}`, async () => {
    const res = await compileRepo(exampleDir(name));
    assert.deepEqual(
      res.diagnostics.filter((d) => d.severity === 'error'),
      [],
    );
    const actual = graphDocument(res.graphs);
    const file = join(repoRoot, 'test', 'golden', `${name}.graph.json`);
    if (accept || !existsSync(file)) {
      writeFileSync(file, actual);
      if (!accept) assert.fail(`no golden file yet: wrote ${file}; review it and commit`);
      return;
    }
    assert.equal(
      actual,
      readFileSync(file, 'utf8'),
      `lowered graph of ${name} changed; run \`make golden-accept\` if intended`,
    );
  });
}
