// Parse stage for `.cue` files (docs/cue.md). Pure: CUE itself runs behind the injected evaluator.
//
// 1. Files are grouped into instances by directory + `package` clause (a file without a package
//    clause is an instance of its own) and each instance is exported.
// 2. In the exported value every struct with a string `kind` and a `metadata` field is one object
//    (depth-first through structs and lists, not inside a found object); `base` is its path.
// 3. A generated file in the same package constrains each object's path with its kind's
//    definition from `l7mp.io/v1`, and the instance is exported again: failures are L7C2103.
// CUE's messages become diagnostics positioned at the first position inside a user file.
import { locateField } from '../source/cue-locate.ts';
import type { CueEvaluator, CueFile } from '../host.ts';
import type { Code } from '../diagnostics/catalogue.ts';
import type { Diagnostics, PathSegment, Position } from '../diagnostics/diagnostic.ts';
import { KINDS, type RawObject } from '../model/raw.ts';

const DEFS = 'l7mpV1Defs';

interface Instance {
  readonly dir: string;
  readonly pkg: string | undefined;
  readonly files: CueFile[];
}

interface FoundObject {
  readonly base: PathSegment[];
  readonly value: Record<string, unknown>;
}

export async function parseCueFiles(
  files: readonly { path: string; text: string }[],
  evaluator: CueEvaluator | undefined,
  diags: Diagnostics,
): Promise<RawObject[]> {
  const user = files.filter((f) => !isInCueMod(f.path));
  if (!evaluator) {
    for (const f of user)
      diags.add({
        code: 'L7C2104',
        file: f.path,
        message: 'this .cue file cannot be evaluated: no CUE evaluator was provided',
        hint: 'run through the l7mp-compile CLI or watcher, which provide one, or convert the file to YAML',
      });
    return [];
  }
  const out: RawObject[] = [];
  for (const inst of groupInstances(user)) out.push(...(await parseInstance(inst, evaluator, diags)));
  return out;
}

async function parseInstance(
  inst: Instance,
  evaluator: CueEvaluator,
  diags: Diagnostics,
): Promise<RawObject[]> {
  const first = await exportOrReport(inst, inst.files, evaluator, diags, undefined);
  if (!first) return [];
  const objects = findObjects(first.value);
  if (objects.length === 0) return [];

  const check = checkFile(inst, objects);
  if (check) await exportOrReport(inst, [...inst.files, check], evaluator, diags, check.path);

  return objects.map(({ base, value }) => ({
    src: { file: fileOf(inst, base), document: 0, base, format: 'cue' as const },
    value,
  }));
}

/** exports `files`; on failure reports CUE's errors and returns undefined. `check`: the generated file's path (second pass) */
async function exportOrReport(
  inst: Instance,
  files: readonly CueFile[],
  evaluator: CueEvaluator,
  diags: Diagnostics,
  check: string | undefined,
): Promise<{ value: unknown } | undefined> {
  let r;
  try {
    r = await evaluator.export(files);
  } catch (e) {
    for (const f of inst.files)
      diags.add({
        code: 'L7C2104',
        file: f.path,
        message: `the CUE evaluator failed: ${(e as Error).message ?? String(e)}`,
      });
    return undefined;
  }
  if (r.ok) return { value: r.value };
  for (const err of parseCueErrors(r.stderr)) reportError(err, inst, diags, check);
  return undefined;
}

// ---- instances ----

function isInCueMod(p: string): boolean {
  return p === 'cue.mod' || p.startsWith('cue.mod/') || p.includes('/cue.mod/');
}

function groupInstances(files: readonly CueFile[]): Instance[] {
  const byKey = new Map<string, Instance>();
  const out: Instance[] = [];
  for (const f of files) {
    const dir = f.path.includes('/') ? f.path.slice(0, f.path.lastIndexOf('/')) : '';
    const pkg = packageOf(f.text);
    const key = pkg === undefined ? `\0${f.path}` : `${dir}\0${pkg}`;
    let inst = byKey.get(key);
    if (!inst) {
      inst = { dir, pkg, files: [] };
      byKey.set(key, inst);
      out.push(inst);
    }
    inst.files.push({ path: f.path, text: f.text });
  }
  return out;
}

/** the `package` clause's name; leading blank lines, comments and attributes are skipped */
export function packageOf(text: string): string | undefined {
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('//') || line.startsWith('@')) continue;
    return /^package\s+([A-Za-z_$#][\w$]*)/.exec(line)?.[1];
  }
  return undefined;
}

// ---- objects ----

function isStruct(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function findObjects(value: unknown): FoundObject[] {
  const out: FoundObject[] = [];
  const walk = (v: unknown, path: PathSegment[]): void => {
    if (Array.isArray(v)) v.forEach((e, i) => walk(e, [...path, i]));
    else if (isStruct(v)) {
      if (typeof v.kind === 'string' && 'metadata' in v) out.push({ base: path, value: v });
      else for (const [k, e] of Object.entries(v)) walk(e, [...path, k]);
    }
  };
  walk(value, []);
  return out;
}

/** which file of the instance defines the object (multi-file packages: the file whose text has its first label) */
function fileOf(inst: Instance, base: readonly PathSegment[]): string {
  if (inst.files.length === 1) return inst.files[0]!.path;
  const located = locateField(inst.files, base);
  return located?.file ?? inst.files[0]!.path;
}

// ---- the generated check file ----

type Constraint = { kind: string } | { fields: Map<PathSegment, Constraint> };

/** a file that unifies each object of a known kind with its definition, or undefined if there is none */
export function checkFile(inst: Instance, objects: readonly FoundObject[]): CueFile | undefined {
  const root: { fields: Map<PathSegment, Constraint> } = { fields: new Map() };
  let top: FoundObject | undefined;
  let any = false;
  for (const o of objects) {
    const kind = o.value.kind as string;
    if (!(KINDS as readonly string[]).includes(kind)) continue;
    any = true;
    if (o.base.length === 0) {
      top = o;
      continue;
    }
    let node = root;
    o.base.forEach((seg, i) => {
      if (i === o.base.length - 1) node.fields.set(seg, { kind });
      else {
        let next = node.fields.get(seg);
        if (!next || !('fields' in next)) node.fields.set(seg, (next = { fields: new Map() }));
        node = next;
      }
    });
  }
  if (!any) return undefined;
  const lines = [
    ...(inst.pkg ? [`package ${inst.pkg}`, ''] : []),
    `import ${DEFS} "l7mp.io/v1"`,
    '',
    ...(top ? rootCheck(top, inst.pkg !== undefined) : []),
    ...(root.fields.size === 0
      ? []
      : [...root.fields.keys()].every((k) => typeof k === 'number')
        ? [emit(root)] // the file's value is a list: embed the list constraint
        : [...root.fields].map(([k, c]) => `${JSON.stringify(String(k))}: ${emit(c)}`)),
  ];
  const taken = new Set(inst.files.map((f) => f.path));
  const prefix = inst.dir ? `${inst.dir}/` : '';
  let path = `${prefix}l7mp_v1_check.cue`;
  for (let i = 2; taken.has(path); i++) path = `${prefix}l7mp_v1_check_${i}.cue`;
  return { path, text: lines.join('\n') + '\n' };
}

const ROOT_CHECK = '_l7mpCheck';
const KEYWORDS = new Set([
  'package',
  'import',
  'for',
  'in',
  'if',
  'let',
  'true',
  'false',
  'null',
  'div',
  'mod',
  'quo',
  'rem',
]);

/**
 * The whole value is one object. Embedding the definition at the top of another file does not close
 * the package's struct in CUE 0.4, so a hidden field unifies the definition with the object's
 * fields: referenced through `let` (keeping the user's positions) where the file is in a package
 * and the label is an identifier, else copied as exported (positions then come from the text).
 */
function rootCheck(o: FoundObject, inPackage: boolean): string[] {
  const lets: string[] = [];
  const fields = Object.entries(o.value).map(([k, v], i) => {
    if (inPackage && /^[A-Za-z][A-Za-z0-9_]*$/.test(k) && !KEYWORDS.has(k)) {
      lets.push(`let l7mpTop${i} = ${k}`);
      return `${JSON.stringify(k)}: l7mpTop${i}`;
    }
    return `${JSON.stringify(k)}: ${JSON.stringify(v)}`;
  });
  return [...lets, `${ROOT_CHECK}: ${DEFS}.#${o.value.kind as string} & {${fields.join(', ')}}`];
}

function emit(c: Constraint): string {
  if ('kind' in c) return `${DEFS}.#${c.kind}`;
  const keys = [...c.fields.keys()];
  if (keys.every((k) => typeof k === 'number')) {
    const max = Math.max(...(keys as number[]));
    const elems = Array.from({ length: max + 1 }, (_, i) => {
      const e = c.fields.get(i);
      return e ? emit(e) : '_';
    });
    return `[${elems.join(', ')}, ...]`;
  }
  return `{${[...c.fields].map(([k, e]) => `${JSON.stringify(String(k))}: ${emit(e)}`).join(', ')}}`;
}

// ---- CUE's error output ----

export interface CueError {
  /** CUE's message without the field path */
  readonly message: string;
  /** the field path CUE put before the message, if any */
  readonly path: PathSegment[] | undefined;
  readonly positions: { file: string; line: number; column: number }[];
}

const SEGMENT = String.raw`(?:"(?:[^"\\]|\\.)*"|[#_$A-Za-z][\w$]*|\d+)`;
const PATH_PREFIX = new RegExp(String.raw`^(${SEGMENT}(?:\.${SEGMENT})*): `);
const POSITION = /^\s+(\S.*?):(\d+):(\d+)\s*$/;

/** `a.x: msg:\n    file:1:2\n    file:3:4\nnext msg:\n ...` → one CueError per message */
export function parseCueErrors(stderr: string): CueError[] {
  const out: { message: string; path: PathSegment[] | undefined; positions: CueError['positions'] }[] = [];
  for (const line of stderr.split('\n')) {
    if (line.trim() === '') continue;
    const pos = POSITION.exec(line);
    const cur = out[out.length - 1];
    if (pos && cur) cur.positions.push({ file: pos[1]!, line: Number(pos[2]), column: Number(pos[3]) });
    else if (/^\s/.test(line) && cur) cur.message += `\n${line.trim()}`;
    else {
      let text = line.replace(/:\s*$/, '');
      const m = PATH_PREFIX.exec(text);
      const path = m ? splitPath(m[1]!) : undefined;
      if (m) text = text.slice(m[0].length);
      out.push({ message: text, path, positions: [] });
    }
  }
  return out;
}

function splitPath(p: string): PathSegment[] {
  return (p.match(new RegExp(SEGMENT, 'g')) ?? []).map((s) =>
    s.startsWith('"') ? unquote(s) : /^\d+$/.test(s) ? Number(s) : s,
  );
}

/** CUE quotes labels Go-style; JSON covers the common escapes */
function unquote(s: string): string {
  try {
    return JSON.parse(s) as string;
  } catch {
    return s.slice(1, -1);
  }
}

const LOAD_ERROR =
  /^(import failed|cannot find package|package |build constraints|no CUE files|found packages)/;

function reportError(err: CueError, inst: Instance, diags: Diagnostics, check: string | undefined): void {
  const userFiles = new Set(inst.files.map((f) => f.path));
  const at = err.positions.find((p) => userFiles.has(p.file));
  const inCheckOnly = !at && check !== undefined && err.positions.some((p) => p.file === check);
  if (inCheckOnly && /import failed|cannot find package/.test(err.message)) {
    for (const f of inst.files)
      diags.add({
        code: 'L7C2104',
        file: f.path,
        message:
          'the l7mp.io/v1 CUE definitions are not available: objects in this file were not checked against them',
        hint: 'the evaluator copies them from schemas/*.cue',
      });
    return;
  }
  const code: Code =
    check !== undefined ? 'L7C2103' : err.path || LOAD_ERROR.test(err.message) ? 'L7C2102' : 'L7C2101';
  // "field x not allowed" names the field one level below the path CUE reports
  const named = new RegExp(`^field (${SEGMENT}) not allowed$`).exec(err.message)?.[1];
  const extra = named === undefined ? undefined : splitPath(named)[0];
  const cuePath = check !== undefined && err.path?.[0] === ROOT_CHECK ? err.path.slice(1) : err.path;
  const path = cuePath && extra !== undefined ? [...cuePath, extra] : cuePath;
  const located = at
    ? {
        file: at.file,
        pos: charPosition(inst.files.find((f) => f.path === at.file)!.text, at.line, at.column),
      }
    : path
      ? locateField(inst.files, path)
      : undefined;
  diags.add({
    code,
    message: err.message,
    file: located?.file ?? inst.files[0]?.path,
    ...(path ? { path } : {}),
    ...(located ? { span: { start: located.pos, end: located.pos } } : {}),
    ...(code === 'L7C2103'
      ? { hint: `see the l7mp.io/v1 definition of this object's kind (docs/cue.md)` }
      : {}),
  });
}

/** CUE counts columns in bytes; diagnostics count characters */
function charPosition(text: string, line: number, byteColumn: number): Position {
  const l = text.split('\n')[line - 1];
  if (l === undefined) return { line, column: byteColumn };
  const prefix = new TextDecoder().decode(new TextEncoder().encode(l).subarray(0, byteColumn - 1));
  return { line, column: prefix.length + 1 };
}
