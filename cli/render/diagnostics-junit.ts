// JUnit XML for CI test reports: one <testsuite>, one <testcase> per checked file, a <failure> per
// error (and per warning with failOnWarn). Diagnostics without a file, or for a file not in the
// list, get their own test cases so nothing is dropped. `failures` counts failing test cases.
import { formatPath, sortDiagnostics, type Diagnostic } from '../../compiler/diagnostics/diagnostic.ts';

export interface JunitOptions {
  readonly failOnWarn: boolean;
}

const SUITE = 'l7mp-compile validate';
const NO_FILE = '(no file)';

/** Escapes text for XML 1.0 and replaces characters XML cannot carry at all with U+FFFD. */
export function xmlEscape(s: string, attribute = false): string {
  const out = s
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '\uFFFD') // eslint-disable-line no-control-regex
    .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
  return attribute ? out.replace(/\t/g, '&#9;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;') : out;
}

function describe(d: Diagnostic): string {
  const where = d.span ? `${d.file ?? ''}:${d.span.start.line}:${d.span.start.column}` : (d.file ?? '');
  const path = formatPath(d.path);
  return [
    `${d.severity}[${d.code}]: ${d.message}`,
    ...(where ? [`at ${where}`] : []),
    ...(path ? [`path: ${path}`] : []),
    ...(d.hint ? [`hint: ${d.hint}`] : []),
  ].join('\n');
}

export function renderJunit(
  diags: readonly Diagnostic[],
  files: readonly string[],
  opts: JunitOptions,
): string {
  const byFile = new Map<string, Diagnostic[]>(files.map((f) => [f, []]));
  for (const d of sortDiagnostics(diags)) {
    const key = d.file ?? NO_FILE;
    if (!byFile.has(key)) byFile.set(key, []);
    byFile.get(key)!.push(d);
  }
  const fails = (d: Diagnostic): boolean =>
    d.severity === 'error' || (opts.failOnWarn && d.severity === 'warning');
  let failing = 0;
  const cases: string[] = [];
  for (const [file, ds] of byFile) {
    const failures = ds.filter(fails);
    const others = ds.filter((d) => !fails(d));
    if (failures.length > 0) failing++;
    const name = xmlEscape(file, true);
    const body = [
      ...failures.map(
        (d) =>
          `      <failure message="${xmlEscape(d.message, true)}" type="${d.code}">${xmlEscape(describe(d))}</failure>`,
      ),
      ...(others.length > 0
        ? [`      <system-out>${xmlEscape(others.map(describe).join('\n\n'))}</system-out>`]
        : []),
    ];
    const open = `    <testcase classname="${name}" name="${name}" time="0"`;
    cases.push(body.length === 0 ? `${open}/>` : [`${open}>`, ...body, '    </testcase>'].join('\n'));
  }
  const counts = `tests="${byFile.size}" failures="${failing}" errors="0" skipped="0" time="0"`;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${SUITE}" ${counts}>`,
    `  <testsuite name="${SUITE}" ${counts}>`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
    '',
  ].join('\n');
}
