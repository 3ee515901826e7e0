// .cue files → RawObjects, and CUE's own errors → diagnostics with positions. Uses the real
// evaluator (CUE's WebAssembly build) with the real l7mp.io/v1 definitions from schemas/*.cue.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCueFiles } from '../compiler/stages/cue.ts';
import { Diagnostics, type Diagnostic } from '../compiler/diagnostics/diagnostic.ts';
import type { CueEvaluator } from '../compiler/host.ts';
import { createCueEvaluator } from '../runtime/cue-evaluator.ts';

const evaluator = createCueEvaluator(); // the repo's schemas/*.cue

async function parse(files: Record<string, string>, ev: CueEvaluator | undefined = evaluator) {
  const diags = new Diagnostics();
  const objects = await parseCueFiles(
    Object.entries(files).map(([path, text]) => ({ path, text })),
    ev,
    diags,
  );
  return { objects, diags: diags.items };
}

const at = (d: Diagnostic | undefined) => d && `${d.file}:${d.span?.start.line}:${d.span?.start.column}`;

const proxy = (name: string) =>
  `{kind: "Proxy", metadata: {name: "${name}", labels: app: "l7mp-ingress"}, spec: {admin: url: "http://127.0.0.1:1234", address: "127.0.0.1"}}`;

test('objects at top level, nested, in lists and across files of one package', async () => {
  const { objects, diags } = await parse({
    'mesh/proxies.cue': `package mesh

gw1: ${proxy('gw-1')}
inventory: proxies: [${proxy('gw-2')}, 42, ${proxy('gw-3')}]
`,
    'mesh/services.cue': `package mesh

_port: 9999
naked: worker: {
	kind: "Service"
	metadata: name: "worker-svc"
	spec: {protocol: "UDP", port: _port, endpoints: [{address: "127.0.0.1"}]}
}
`,
    'single.cue': `kind: "Proxy"
metadata: name: "gw-4"
spec: {admin: url: "http://127.0.0.1:1235", address: "127.0.0.2"}
`,
  });
  assert.deepEqual(diags, []);
  const got = objects.map((o) => [
    o.src.file,
    o.src.base.join('/'),
    o.value.kind,
    (o.value.metadata as { name: string }).name,
  ]);
  assert.deepEqual(got, [
    ['mesh/proxies.cue', 'gw1', 'Proxy', 'gw-1'],
    ['mesh/proxies.cue', 'inventory/proxies/0', 'Proxy', 'gw-2'],
    ['mesh/proxies.cue', 'inventory/proxies/2', 'Proxy', 'gw-3'],
    ['mesh/services.cue', 'naked/worker', 'Service', 'worker-svc'],
    ['single.cue', '', 'Proxy', 'gw-4'],
  ]);
  assert.equal(typeof objects[1]!.src.base[2], 'number');
  assert.ok(objects.every((o) => o.src.format === 'cue' && o.src.document === 0));
  assert.equal((objects[3]!.value.spec as { port: number }).port, 9999);
});

test('a syntax error is L7C2101 at its line:col', async () => {
  const { objects, diags } = await parse({ 'svc/broken.cue': 'package svc\n\nx: {\n\ta: 1\n' });
  assert.equal(objects.length, 0);
  assert.equal(diags.length, 1);
  assert.equal(diags[0]!.code, 'L7C2101');
  assert.match(diags[0]!.message, /expected '}', found 'EOF'/);
  assert.equal(at(diags[0]), 'svc/broken.cue:4:6');
});

test('a conflicting value is L7C2102 at a position in the user file, with its field path', async () => {
  const { diags } = await parse({
    'svc/a.cue': 'package svc\n\ngw: metadata: name: "a"\n',
    'svc/b.cue': 'package svc\n\ngw: metadata: name: 42\n',
  });
  assert.equal(diags.length, 1);
  assert.equal(diags[0]!.code, 'L7C2102');
  assert.deepEqual(diags[0]!.path, ['gw', 'metadata', 'name']);
  assert.match(diags[0]!.message, /conflicting values/);
  assert.equal(at(diags[0]), 'svc/a.cue:3:21');
});

test('an incomplete value (CUE gives no position) is still located in the file', async () => {
  const { diags } = await parse({ 'svc/a.cue': 'package svc\n\ngw: {\n\tport: int\n}\n' });
  assert.equal(diags.length, 1);
  assert.equal(diags[0]!.code, 'L7C2102');
  assert.deepEqual(diags[0]!.path, ['gw', 'port']);
  assert.equal(at(diags[0]), 'svc/a.cue:4:2');
});

test('objects that violate the l7mp.io/v1 definitions are L7C2103 in the user file', async () => {
  const { objects, diags } = await parse({
    'svc/bad.cue': `package svc

worker: {
	kind: "Service"
	metadata: name: "worker-svc"
	spec: {protocol: "UDP", port: "9999"}
}
list: [{
	kind: "Proxy"
	metadata: {name: "gw-1", colour: "blue"}
	spec: {admin: url: "http://127.0.0.1:1234", address: "127.0.0.1"}
}]
`,
  });
  assert.equal(objects.length, 2, 'objects are still returned');
  const byPath = new Map(diags.map((d) => [d.path?.join('.'), d]));
  assert.ok(
    diags.every((d) => d.code === 'L7C2103' && d.file === 'svc/bad.cue'),
    JSON.stringify(diags),
  );
  const port = byPath.get('worker.spec.port');
  assert.ok(port, JSON.stringify(diags));
  assert.equal(at(port), 'svc/bad.cue:6:32');
  const colour = byPath.get('list.0.metadata.colour');
  assert.ok(colour, JSON.stringify(diags));
  assert.match(colour.message, /not allowed/);
  assert.equal(colour.span?.start.line, 10);
});

test('user files can import l7mp.io/v1', async () => {
  const good = await parse({
    'inv/proxies.cue': `package inv

import "l7mp.io/v1"

#Gw: v1.#Proxy & {spec: address: "127.0.0.1"}
gw1: #Gw & {metadata: name: "gw-1", spec: admin: url: "http://127.0.0.1:1234"}
`,
  });
  assert.deepEqual(good.diags, []);
  assert.deepEqual(
    good.objects.map((o) => o.src.base),
    [['gw1']],
  );
  const bad = await parse({
    'inv/proxies.cue':
      'package inv\n\nimport "l7mp.io/v1"\n\ngw1: v1.#Proxy & {metadata: name: "gw-1", spec: {address: 1}}\n',
  });
  assert.ok(bad.diags.length >= 1);
  assert.ok(
    bad.diags.every((d) => d.code === 'L7C2102' && d.file === 'inv/proxies.cue' && d.span),
    JSON.stringify(bad.diags),
  );
});

test('no evaluator: one L7C2104 per CUE file', async () => {
  const diags = new Diagnostics();
  const files = [
    { path: 'a.cue', text: 'x: 1\n' },
    { path: 'b/c.cue', text: 'package b\n' },
  ];
  const objects = await parseCueFiles(files, undefined, diags);
  assert.equal(objects.length, 0);
  assert.deepEqual(
    diags.items.map((d) => [d.code, d.file]),
    [
      ['L7C2104', 'a.cue'],
      ['L7C2104', 'b/c.cue'],
    ],
  );
});

test('the evaluator reports repo-relative positions, serializes calls and leaks no globals', async () => {
  const results = await Promise.all([
    evaluator.export([{ path: 'deep/dir/x.cue', text: 'package x\na: 1\na: 2\n' }]),
    evaluator.export([{ path: 'y.cue', text: 'b: 3\n' }]),
  ]);
  assert.deepEqual(results[0], {
    ok: false,
    stderr: 'a: conflicting values 2 and 1:\n    deep/dir/x.cue:2:4\n    deep/dir/x.cue:3:4\n',
  });
  assert.deepEqual(results[1], { ok: true, value: { b: 3 } });
  const g = globalThis as Record<string, unknown>;
  assert.equal(g.require, undefined);
  assert.equal(g.fs, undefined);
  assert.equal(g.Go, undefined);
});
