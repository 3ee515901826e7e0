import { test } from 'node:test';
import assert from 'node:assert/strict';
import { diagnostic, type Diagnostic } from '../compiler/diagnostics/diagnostic.ts';
import { renderDiagnostics } from '../cli/render/diagnostics.ts';
import { renderText } from '../cli/render/diagnostics-text.ts';
import { escapeData, escapeProperty } from '../cli/render/diagnostics-github.ts';

const GW = 'services/gw.yaml';
const WEIRD = 'odd, dir:1/100%.yaml';
const NASTY = 'bad value ,:%\n<>&" here';
const sources: Record<string, string> = {
  [GW]: [
    'kind: VirtualService',
    'metadata: {name: gw}',
    'spec:',
    '  listener:',
    '    spec: {UDP: {port: 5053}}',
    '    rules:',
    '      - action:',
    '          route: worker-svcx',
    '\troute:\tworker',
    'x: ' + 'a'.repeat(250) + 'TARGET' + 'b'.repeat(200),
  ].join('\n'),
  [WEIRD]: 'kind: Target\nspec: {x: 1}\n',
};
const lookup = (f: string): string | undefined => sources[f];

const diags: Diagnostic[] = [
  diagnostic({
    code: 'L7C4002',
    message: 'unknown target "worker-svcx"',
    file: GW,
    path: ['spec', 'listener', 'rules', 0, 'action', 'route'],
    span: { start: { line: 8, column: 18 }, end: { line: 8, column: 29 } },
    hint: 'did you mean `worker-svc`?',
  }),
  diagnostic({
    code: 'L7C3005',
    message: 'unknown field',
    file: GW,
    span: { start: { line: 9, column: 9 }, end: { line: 9, column: 15 } },
  }),
  diagnostic({
    code: 'L7C3006',
    message: 'long line',
    file: GW,
    span: { start: { line: 10, column: 254 }, end: { line: 10, column: 260 } },
  }),
  diagnostic({
    code: 'L7C3007',
    message: 'multi-line',
    file: GW,
    span: { start: { line: 5, column: 11 }, end: { line: 6, column: 10 } },
  }),
  diagnostic({
    code: 'L7C5004',
    message: 'selector matches no proxy',
    file: GW,
    document: 0,
    path: ['spec'],
  }),
  diagnostic({ code: 'L7C2104', message: 'CUE evaluator unavailable' }),
  diagnostic({
    code: 'L7C3006',
    message: NASTY,
    file: WEIRD,
    span: { start: { line: 2, column: 7 }, end: { line: 2, column: 13 } },
    hint: 'use <a> & "b"',
  }),
];
const errors = diags.filter((d) => d.severity === 'error').length;
const warnings = diags.filter((d) => d.severity === 'warning').length;
const ctx = { sources: lookup, files: [GW, WEIRD, 'clean.yaml'], color: false, failOnWarn: false };

/** The excerpt line for source line `no`, the caret line under it, and the carets alone. */
function excerptLine(out: string, no: number): { src: string; carets: string; marks: string } {
  const lines = out.split('\n');
  const i = lines.findIndex((l) => new RegExp(`^\\s*${no} \\| `).test(l));
  assert.ok(i >= 0, `excerpt of line ${no}`);
  const carets = lines[i + 1]!;
  assert.match(carets, /^\s*\| +\^+$/);
  return { src: lines[i]!, carets, marks: carets.replace(/^\s*\|\s*/, '') };
}

test('json: versioned, stable keys, summary', () => {
  const doc = JSON.parse(renderDiagnostics('json', diags, ctx));
  assert.equal(doc.format_version, '1');
  assert.deepEqual(Object.keys(doc), ['format_version', 'diagnostics', 'summary']);
  assert.deepEqual(doc.summary, { errors, warnings });
  assert.equal(doc.diagnostics.length, diags.length);
  for (const d of doc.diagnostics) {
    for (const k of [
      'code',
      'severity',
      'message',
      'file',
      'line',
      'column',
      'end_line',
      'end_column',
      'path',
      'hint',
    ])
      assert.ok(k in d, k);
  }
  const unknown = doc.diagnostics.find((d: { code: string }) => d.code === 'L7C4002');
  assert.equal(unknown.path, 'spec.listener.rules[0].action.route');
  assert.deepEqual([unknown.line, unknown.column, unknown.end_line, unknown.end_column], [8, 18, 8, 29]);
  const noFile = doc.diagnostics.find((d: { code: string }) => d.code === 'L7C2104');
  assert.equal(noFile.file, null);
  assert.equal(noFile.line, null);
  assert.ok(doc.diagnostics.some((d: { message: string }) => d.message === NASTY));
});

test('text: header, location, caret under the span, path, hint, summary', () => {
  const out = renderDiagnostics('text', diags, ctx);
  assert.ok(!out.includes('\x1b['), 'no colour');
  assert.match(out, /error\[L7C4002\]: unknown target "worker-svcx"/);
  assert.match(out, /--> services\/gw\.yaml:8:18/);
  const { src, carets, marks } = excerptLine(out, 8);
  assert.equal(carets.indexOf('^'), src.indexOf('worker-svcx'));
  assert.equal(marks, '^'.repeat('worker-svcx'.length));
  assert.match(out, /spec\.listener\.rules\[0\]\.action\.route/);
  assert.match(out, /hint: did you mean `worker-svc`\?/);
  assert.match(out.trimEnd().split('\n').at(-1)!, new RegExp(`^${errors} errors, ${warnings} warnings?$`));
});

test('text: tabs, long lines, multi-line spans, missing span or file', () => {
  const out = renderDiagnostics('text', diags, ctx);
  const tab = excerptLine(out, 9);
  assert.ok(!tab.src.includes('\t'), 'tabs expanded');
  assert.equal(tab.carets.indexOf('^'), tab.src.lastIndexOf('worker'));
  assert.equal(tab.marks, '^'.repeat('worker'.length));

  const long = excerptLine(out, 10);
  assert.ok(long.src.includes('...'), 'long line cut');
  assert.ok(long.src.length < 160);
  assert.equal(long.carets.indexOf('^'), long.src.indexOf('TARGET'));
  assert.equal(long.marks, '^^^^^^');

  const multi = out.split('\n');
  const at5 = multi.findIndex((l) => /^\s*5 \| {5}spec: \{UDP/.test(l));
  assert.ok(at5 >= 0 && multi[at5 + 1]!.includes('^') && /^\s*6 \| {5}rules:/.test(multi[at5 + 2]!));
  assert.equal(multi[at5 + 1]!.indexOf('^'), multi[at5]!.indexOf('{UDP'));
  assert.equal(multi[at5 + 3]!.indexOf('^'), multi[at5 + 2]!.indexOf('rules'));

  assert.match(out, /warning\[L7C5004\]: selector matches no proxy\n\s*--> services\/gw\.yaml/);
  assert.match(out, /error\[L7C2104\]: CUE evaluator unavailable\n\n/);
  const nasty = out.split('\n').findIndex((l) => l.includes('bad value ,:%'));
  assert.ok(out.split('\n')[nasty + 1]!.includes('<>&" here'), 'multi-line message kept');

  const colored = renderText(diags, lookup, { color: true });
  assert.ok(colored.includes('\x1b[1;31m'));
  const bare = renderText(
    [diagnostic({ code: 'L7C4002', message: 'x', file: 'gone.yaml', span: diags[0]!.span })],
    lookup,
    { color: false },
  );
  assert.match(bare, /--> gone\.yaml:8:18/);
  assert.ok(!bare.includes('^'));
});

test('github: workflow command format and escaping', () => {
  const lines = renderDiagnostics('github', diags, ctx).trimEnd().split('\n');
  assert.equal(lines.length, diags.length, 'one line per diagnostic, newlines escaped');
  assert.ok(
    lines.includes(
      '::error file=services/gw.yaml,line=8,col=18,endLine=8,endColumn=29,title=L7C4002::unknown target "worker-svcx"%0Aat spec.listener.rules[0].action.route%0Ahint: did you mean `worker-svc`?',
    ),
  );
  assert.ok(lines.includes('::error title=L7C2104::CUE evaluator unavailable'));
  assert.ok(
    lines.includes('::warning file=services/gw.yaml,title=L7C5004::selector matches no proxy%0Aat spec'),
  );
  assert.ok(
    lines.includes(
      '::error file=odd%2C dir%3A1/100%25.yaml,line=2,col=7,endLine=2,endColumn=13,title=L7C3006::bad value ,:%25%0A<>&" here%0Ahint: use <a> & "b"',
    ),
  );
  assert.equal(escapeData('a%b\r\nc:,'), 'a%25b%0D%0Ac:,');
  assert.equal(escapeProperty('a%b\r\nc:,'), 'a%25b%0D%0Ac%3A%2C');
});

test('sarif: 2.1.0, rules from the catalogue, results with regions', () => {
  const log = JSON.parse(renderDiagnostics('sarif', diags, ctx));
  assert.equal(log.version, '2.1.0');
  assert.match(log.$schema, /sarif/);
  assert.equal(log.runs.length, 1);
  const run = log.runs[0];
  assert.equal(run.tool.driver.name, 'l7mp-compile');
  const ids = run.tool.driver.rules.map((r: { id: string }) => r.id);
  assert.deepEqual(ids, [...new Set(diags.map((d) => d.code))].sort());
  const warnRule = run.tool.driver.rules.find((r: { id: string }) => r.id === 'L7C5004');
  assert.equal(warnRule.shortDescription.text, 'selector matches no proxy');
  assert.equal(warnRule.defaultConfiguration.level, 'warning');
  assert.equal(run.results.length, diags.length);
  for (const r of run.results) assert.equal(ids[r.ruleIndex], r.ruleId);
  const res = run.results.find((r: { ruleId: string }) => r.ruleId === 'L7C4002');
  assert.equal(res.level, 'error');
  assert.match(res.message.text, /worker-svcx[\s\S]*did you mean/);
  const loc = res.locations[0].physicalLocation;
  assert.equal(loc.artifactLocation.uri, 'services/gw.yaml');
  assert.deepEqual(loc.region, { startLine: 8, startColumn: 18, endLine: 8, endColumn: 29 });
  const weird = run.results.find((r: { message: { text: string } }) =>
    r.message.text.startsWith('bad value'),
  );
  assert.equal(weird.locations[0].physicalLocation.artifactLocation.uri, 'odd%2C%20dir%3A1/100%25.yaml');
  assert.equal(run.results.find((r: { ruleId: string }) => r.ruleId === 'L7C2104').locations, undefined);
  assert.equal(run.results.find((r: { ruleId: string }) => r.ruleId === 'L7C5004').level, 'warning');
});

/** Enough of an XML well-formedness check: balanced tags, no raw & or < in text or attributes. */
function assertWellFormed(xml: string): void {
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '');
  const stack: string[] = [];
  const re = /<(\/?)([A-Za-z][\w-]*)((?:\s+[\w-]+="[^"<]*")*)\s*(\/?)>|([^<]+)/gy;
  let m: RegExpExecArray | null;
  let pos = 0;
  while ((m = re.exec(body))) {
    pos = re.lastIndex;
    if (m[5] !== undefined) {
      assert.ok(!/&(?!(amp|lt|gt|quot|apos|#\d+);)/.test(m[5]), `raw & in ${m[5]}`);
      continue;
    }
    assert.ok(!/&(?!(amp|lt|gt|quot|apos|#\d+);)/.test(m[3]!), `raw & in ${m[3]}`);
    if (m[1]) assert.equal(stack.pop(), m[2]);
    else if (!m[4]) stack.push(m[2]!);
  }
  assert.equal(pos, body.length, `parsed to the end (stopped at ${body.slice(pos, pos + 40)})`);
  assert.deepEqual(stack, []);
}

test('junit: one test case per file, failures per error, escaping', () => {
  const xml = renderDiagnostics('junit', diags, ctx);
  assertWellFormed(xml);
  const suite = /<testsuite name="l7mp-compile validate" tests="(\d+)" failures="(\d+)"/.exec(xml);
  assert.ok(suite);
  // gw.yaml, odd…yaml, clean.yaml, and the file-less diagnostic
  assert.equal(suite[1], '4');
  assert.equal(suite[2], '3');
  assert.equal((xml.match(/<testcase /g) ?? []).length, 4);
  assert.equal((xml.match(/<failure /g) ?? []).length, errors);
  assert.match(xml, /<testcase classname="clean\.yaml" name="clean\.yaml" time="0"\/>/);
  assert.match(xml, /<system-out>[^<]*L7C5004/);
  assert.ok(xml.includes('message="bad value ,:%&#10;&lt;&gt;&amp;&quot; here"'));
  assert.ok(!xml.includes(NASTY));

  const strict = renderDiagnostics('junit', diags, { ...ctx, failOnWarn: true });
  assertWellFormed(strict);
  assert.equal((strict.match(/<failure /g) ?? []).length, errors + warnings);
  assert.ok(!strict.includes('<system-out>'));
});
