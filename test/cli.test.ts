// The CLI surface: commands, help, formats, exit codes, and no stack traces.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './support/run-cli.ts';
import { exampleDir, repoRoot } from './support/examples.ts';

test('--help lists every command; each command has --help', async () => {
  const top = await runCli(['--help']);
  assert.equal(top.code, 0);
  for (const c of ['validate', 'build', 'graph']) {
    assert.match(top.stdout, new RegExp(`\\b${c}\\b`));
    const sub = await runCli([c, '--help']);
    assert.equal(sub.code, 0);
    assert.match(sub.stdout, /Usage: l7mp-compile/);
  }
  assert.match((await runCli(['validate', '--help'])).stdout, /--format/);
  assert.match((await runCli(['build', '--help'])).stdout, /--out/);
});

test('unknown command or option: exit 1, a message, no stack trace', async () => {
  for (const args of [
    ['frobnicate'],
    ['validate', '--bogus'],
    ['validate', '--format', 'xml', exampleDir('quickstart')],
  ]) {
    const r = await runCli(args);
    assert.equal(r.code, 1, args.join(' '));
    assert.doesNotMatch(r.stderr + r.stdout, /\n\s+at /);
  }
});

test('validate: exit 0 on the quickstart; json format is machine-readable', async () => {
  const r = await runCli(['validate', exampleDir('quickstart')]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  const j = await runCli(['validate', exampleDir('quickstart'), '--format', 'json']);
  const doc = JSON.parse(j.stdout);
  assert.equal(doc.summary.errors, 0);
});

test('validate: a missing directory is a clear error', async () => {
  const r = await runCli(['validate', '/nonexistent/l7mp-repo']);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /nonexistent/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);
});

test('build writes one config per proxy plus graph.json; graph prints DOT and Mermaid', async () => {
  const out = mkdtempSync(join(tmpdir(), 'l7c-build-'));
  try {
    const r = await runCli(['build', exampleDir('quickstart'), '-o', out]);
    assert.equal(r.code, 0, r.stderr);
    for (const f of ['gateway.yaml', 'sidecar.yaml', 'graph.json']) assert.ok(existsSync(join(out, f)), f);
    assert.equal(JSON.parse(readFileSync(join(out, 'graph.json'), 'utf8')).format_version, '1');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
  const dot = await runCli(['graph', exampleDir('quickstart')]);
  assert.match(dot.stdout, /^digraph l7mp \{/);
  const mm = await runCli(['graph', exampleDir('quickstart'), '--format', 'mermaid']);
  assert.match(mm.stdout, /^flowchart LR/);
});

test('bin/l7mp-compile runs from the repo root', () => {
  const out = execFileSync(join(repoRoot, 'bin', 'l7mp-compile'), ['--version'], {
    cwd: repoRoot,
    encoding: 'utf8',
  });
  assert.match(out, /\d+\.\d+\.\d+/);
});

test('docs/diagnostics.md is generated from the catalogue and up to date', async () => {
  const r = await runCli(['explain', '--markdown']);
  assert.equal(r.code, 0);
  const file = join(repoRoot, 'docs', 'diagnostics.md');
  assert.equal(
    readFileSync(file, 'utf8'),
    r.stdout,
    'run: bin/l7mp-compile explain --markdown > docs/diagnostics.md',
  );
  assert.match((await runCli(['explain', 'L7C4002'])).stdout, /unknown target/);
  assert.equal((await runCli(['explain', 'L7C9999'])).code, 1);
});
