// Bad input always gets a clear diagnostic with a location (DESIGN §8): every case of the corpus in
// test/support/bad-cases.ts must produce its expected codes at the expected file:line:col, with the
// catalogue's severities, through the pure compiler and through `l7mp-compile validate` (text and
// JSON), with the right exit code and never a stack trace.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { compile } from '../compiler/pipeline.ts';
import { catalogue, type Code } from '../compiler/diagnostics/catalogue.ts';
import { formatPath, type Diagnostic } from '../compiler/diagnostics/diagnostic.ts';
import { createCueEvaluator } from '../runtime/cue-evaluator.ts';
import { runCli } from './support/run-cli.ts';
import { BAD_CASES, bytesOf, type BadCase, type Expected } from './support/bad-cases.ts';

const cue = createCueEvaluator();
const STACK_TRACE = /\n\s+at /;
const T = { timeout: 20_000 };

type Pos = {
  code: string;
  file: string | null;
  line: number | null;
  column: number | null;
  path?: string | null;
};
const show = (d: Pos) => `${d.code} ${d.file}:${d.line}:${d.column}${d.path ? ` (${d.path})` : ''}`;
const fromDiag = (d: Diagnostic): Pos => ({
  code: d.code,
  file: d.file ?? null,
  line: d.span?.start.line ?? null,
  column: d.span?.start.column ?? null,
  path: formatPath(d.path),
});

function assertExpected(c: BadCase, got: readonly Pos[]): void {
  const list = got.map(show).join('\n  ') || '(none)';
  for (const e of c.expect) {
    const hit = got.some(
      (d) => d.code === e.code && d.file === e.file && d.line === e.line && d.column === e.column,
    );
    assert.ok(hit, `expected ${show(e)}; got:\n  ${list}`);
  }
  for (const code of c.forbid ?? [])
    assert.ok(!got.some((d) => d.code === code), `${code} must not appear; got:\n  ${list}`);
}

const isErrorCase = (c: BadCase) =>
  c.expect.some((e: Expected) => catalogue[e.code as Code]?.severity === 'error');

async function writeRepo(c: BadCase): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'l7c-bad-'));
  for (const [path, content] of Object.entries(c.files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), bytesOf(content));
  }
  return dir;
}

test('bad-input corpus', async (t) => {
  assert.ok(BAD_CASES.length >= 60, `${BAD_CASES.length} cases`);
  assert.equal(new Set(BAD_CASES.map((c) => c.name)).size, BAD_CASES.length, 'case names are unique');
  for (const c of BAD_CASES) assert.ok(c.expect.length > 0, `${c.name}: no expectation`);
  for (const c of BAD_CASES) {
    await t.test(c.name, T, async (t) => {
      await t.test('compile', T, async () => {
        const files = Object.entries(c.files).map(([path, content]) => ({ path, bytes: bytesOf(content) }));
        const res = await compile({ files, ...(c.cue ? { cue } : {}) });
        assertExpected(c, res.diagnostics.map(fromDiag));
        for (const d of res.diagnostics) {
          assert.equal(d.severity, catalogue[d.code].severity, `severity of ${show(fromDiag(d))}`);
          assert.ok(
            d.file && d.span && d.span.start.line >= 1,
            `diagnostic without file and line: ${show(fromDiag(d))}: ${d.message}`,
          );
        }
        assert.equal(res.hasErrors, isErrorCase(c), 'hasErrors');
      });
      await t.test('cli', T, async () => {
        const dir = await writeRepo(c);
        try {
          const text = await runCli(['validate', dir]);
          const json = await runCli(['validate', '--format', 'json', dir]);
          for (const r of [text, json]) {
            assert.doesNotMatch(r.stdout + r.stderr, STACK_TRACE, 'stack trace in the output');
            assert.equal(r.code, isErrorCase(c) ? 1 : 0, `exit code; stderr: ${r.stderr}`);
          }
          const doc = JSON.parse(json.stdout) as { diagnostics: Pos[] };
          assertExpected(c, doc.diagnostics);
          for (const d of doc.diagnostics)
            assert.ok(d.file && d.line && d.line >= 1, `JSON diagnostic without file and line: ${show(d)}`);
          if (!isErrorCase(c)) {
            const strict = await runCli(['validate', '--fail-on-warn', dir]);
            assert.equal(strict.code, 1, 'exit code with --fail-on-warn');
            assert.doesNotMatch(strict.stdout + strict.stderr, STACK_TRACE);
          }
        } finally {
          await rm(dir, { recursive: true, force: true });
        }
      });
    });
  }
});
