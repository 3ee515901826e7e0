// `build` output is a function of the objects only: byte-identical across runs, and unchanged when
// files are renamed, moved, reordered, or unrelated objects are added for other proxies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  cpSync,
  mkdtempSync,
  readdirSync,
  renameSync,
  rmSync,
  writeFileSync,
  mkdirSync,
  readFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compileRepo } from '../runtime/compile-repo.ts';
import { buildOutputs } from '../compiler/stages/emit.ts';
import { EXAMPLES, exampleDir } from './support/examples.ts';

async function build(dir: string): Promise<Map<string, string>> {
  const res = await compileRepo(dir);
  assert.equal(res.hasErrors, false, JSON.stringify(res.diagnostics.filter((d) => d.severity === 'error')));
  return buildOutputs(res.graphs);
}

/** Reverses the order of documents in a multi-document YAML file. */
function reverseDocuments(file: string): void {
  const docs = readFileSync(file, 'utf8')
    .split(/^---\s*$/m)
    .filter((d) => d.trim());
  writeFileSync(file, docs.reverse().join('\n---\n'));
}

for (const name of EXAMPLES) {
  test(`build is deterministic and independent of file layout: ${name}`, async () => {
    const first = await build(exampleDir(name));
    assert.deepEqual(await build(exampleDir(name)), first, 'two runs differ');

    const tmp = mkdtempSync(join(tmpdir(), 'l7c-det-'));
    try {
      cpSync(exampleDir(name), tmp, { recursive: true });
      // rename and move every YAML file (this reverses their order), reverse the documents inside
      const files = readdirSync(tmp, { recursive: true, encoding: 'utf8' }).filter((f) => /\.ya?ml$/.test(f));
      mkdirSync(join(tmp, 'moved'));
      files.forEach((f, i) => {
        const to = join(
          tmp,
          'moved',
          `${String(files.length - i).padStart(3, '0')}-${f.replace(/\//g, '_')}`,
        );
        renameSync(join(tmp, f), to);
        reverseDocuments(to);
      });
      // unrelated objects for an unrelated proxy
      writeFileSync(
        join(tmp, 'aaa-unrelated.yaml'),
        [
          'apiVersion: l7mp.io/v1\nkind: Proxy\nmetadata: {name: zz-unrelated, labels: {app: unrelated}}\nspec: {admin: {url: "http://127.0.0.1:18999"}, address: 127.0.0.9}',
          'apiVersion: l7mp.io/v1\nkind: VirtualService\nmetadata: {name: zz-unrelated}\nspec:\n  selector: {matchLabels: {app: unrelated}}\n  listener: {spec: {TCP: {port: 19999}}, rules: [{action: {route: {destination: {spec: {Echo: {}}}}}}]}',
        ].join('\n---\n'),
      );
      const moved = await build(tmp);
      for (const [file, content] of first) {
        if (file === 'graph.json') continue; // it lists every proxy, so it grows by the unrelated one
        assert.equal(moved.get(file), content, `${file} changed after renaming/reordering files`);
      }
      const graph = JSON.parse(moved.get('graph.json')!);
      graph.proxies = graph.proxies.filter((p: { proxy: string }) => p.proxy !== 'zz-unrelated');
      assert.deepEqual(graph, JSON.parse(first.get('graph.json')!));
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
}
