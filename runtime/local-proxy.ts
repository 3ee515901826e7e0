// Starts and stops a real l7mp proxy (`@l7mp/l7mp`) as a child process on this machine: used by the
// `up` command (local proxies started by the tool itself) and by the tests that carry real traffic.
//
// The proxy loads its OpenAPI file from a path relative to its CWD, so it must run inside its own
// package directory (facts §0); a static-config error makes it exit 1, and a busy REST port only
// logs a warning (it may keep running without its REST API), so the admin port is checked first.
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { readFile } from 'node:fs/promises';
import { dirname, resolve as resolvePath } from 'node:path';
import { parse as parseYaml } from 'yaml';

export interface LocalProxyOptions {
  /** the static config (`.yaml` is read as YAML, anything else as JSON, as the proxy does) */
  readonly configPath: string;
  /** `-l`: overrides `admin.log_level` in the file; default `warn` */
  readonly logLevel?: string;
  /** `-s`: validate the config and every request against the proxy's OpenAPI schema */
  readonly strict?: boolean;
  /** the REST base URL; default: derived from the config's HTTP listener routed to L7mpController */
  readonly adminUrl?: string;
  /** how long to wait for the REST API to answer; default 30 s */
  readonly startTimeoutMs?: number;
  /** how long `stop()` waits after SIGTERM before SIGKILL; default 5 s */
  readonly stopTimeoutMs?: number;
  /** bytes of output kept for `logs()`; default 1 MiB (the oldest output is dropped) */
  readonly maxLogBytes?: number;
  /**
   * End the proxy when this process goes away, even by SIGKILL (default true): the proxy watches
   * its stdin pipe from us and exits when it closes, so no orphaned proxy keeps holding its ports.
   */
  readonly exitWithParent?: boolean;
}

export interface LocalProxy {
  readonly pid: number;
  /** the REST base URL, e.g. `http://127.0.0.1:18001` */
  readonly adminUrl: string;
  /** SIGTERM, wait for the exit, SIGKILL after a timeout; safe to call more than once */
  stop(): Promise<void>;
  /** the proxy's stdout and stderr so far, interleaved (a Logger cluster with `log_file: -` writes here) */
  logs(): string;
  /** the exit code or signal once the process has ended, else undefined */
  exited(): { code: number | null; signal: NodeJS.Signals | null } | undefined;
}

export class LocalProxyError extends Error {
  constructor(
    message: string,
    readonly logs: string,
  ) {
    super(logs ? `${message}\n--- proxy output (tail) ---\n${tail(logs, 4000)}` : message);
    this.name = 'LocalProxyError';
  }
}

/** The directory of the installed `@l7mp/l7mp` package: the CWD the proxy needs. */
export function l7mpPackageDir(): string {
  return dirname(createRequire(import.meta.url).resolve('@l7mp/l7mp/package.json'));
}

/**
 * Preloaded into the proxy: exit (through l7mp's own exit handler, which removes its UNIX socket
 * files) when the stdin pipe from the parent closes. Unref'd, so it never keeps the proxy alive.
 */
const PARENT_WATCHDOG =
  'data:text/javascript,' +
  encodeURIComponent(
    'const i=process.stdin;const bye=()=>process.exit(0);i.on("end",bye);i.on("close",bye);i.on("error",bye);i.resume();i.unref();',
  );

/** Children still running, killed if this process exits without stopping them. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function trackChild(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const c of live) c.kill('SIGKILL');
  });
}

function tail(s: string, n: number): string {
  return s.length <= n ? s : `…${s.slice(s.length - n)}`;
}

/** true if `p` settles within `ms`; the timer is cleared either way (nothing keeps the loop alive) */
async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p.then(() => true),
      new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The REST URL of a static config: its HTTP listener whose rule routes to an L7mpController cluster. */
export function adminUrlOfConfig(config: unknown): string | undefined {
  const c = config as {
    listeners?: unknown[];
    clusters?: unknown[];
    routes?: unknown[];
    rules?: unknown[];
    rulelists?: unknown[];
  } | null;
  if (!c || !Array.isArray(c.listeners)) return undefined;
  type Obj = Record<string, any>;
  const byName = (list: unknown[] | undefined, name: unknown) =>
    (list ?? []).find((o) => (o as Obj | null)?.name === name) as Obj | undefined;
  const isController = (dest: unknown): boolean => {
    const cl = typeof dest === 'string' ? byName(c.clusters, dest) : (dest as Obj | undefined);
    return cl?.spec?.protocol === 'L7mpController';
  };
  const routeHitsController = (route: unknown): boolean => {
    const rt = typeof route === 'string' ? byName(c.routes, route) : (route as Obj | undefined);
    return rt !== undefined && isController(rt.destination ?? rt.cluster);
  };
  const ruleHitsController = (rule: unknown): boolean => {
    const ru = typeof rule === 'string' ? byName(c.rules, rule) : (rule as Obj | undefined);
    return ru !== undefined && routeHitsController(ru.action?.route);
  };
  for (const l of c.listeners as Obj[]) {
    if (l?.spec?.protocol !== 'HTTP' || typeof l.spec.port !== 'number') continue;
    const rules = typeof l.rules === 'string' ? byName(c.rulelists, l.rules)?.rules : l.rules;
    if (Array.isArray(rules) && rules.some(ruleHitsController)) return `http://127.0.0.1:${l.spec.port}`;
  }
  return undefined;
}

/** Fails when something already listens on the port (the proxy would then run without its REST API). */
async function assertPortFree(port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const srv = createServer();
    srv.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new Error(
          err.code === 'EADDRINUSE'
            ? `REST port ${port} is already in use by another process (another proxy with this config still running?)`
            : `cannot check REST port ${port}: ${err.message}`,
        ),
      ),
    );
    // The proxy's HTTP listener binds all interfaces (facts §3.4), so check the same way.
    srv.listen({ port, exclusive: true }, () => srv.close(() => resolve()));
  });
}

async function adminAnswers(url: string, timeoutMs: number): Promise<boolean> {
  try {
    const res = await fetch(`${url}/api/v1/admin`, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

export async function startLocalProxy(opts: LocalProxyOptions): Promise<LocalProxy> {
  const configPath = resolvePath(opts.configPath);
  const text = await readFile(configPath, 'utf8'); // also: a missing file fails here, clearly
  let adminUrl = opts.adminUrl?.replace(/\/+$/, '');
  if (!adminUrl) {
    let parsed: unknown;
    try {
      parsed = configPath.endsWith('.yaml') ? parseYaml(text) : JSON.parse(text);
    } catch (e) {
      throw new LocalProxyError(`cannot parse ${configPath}: ${(e as Error).message}`, '');
    }
    adminUrl = adminUrlOfConfig(parsed);
    if (!adminUrl)
      throw new LocalProxyError(
        `${configPath} has no HTTP listener routed to an L7mpController cluster; pass adminUrl`,
        '',
      );
  }
  const port = Number(new URL(adminUrl).port || 80);
  await assertPortFree(port);

  const exitWithParent = opts.exitWithParent ?? true;
  const args = [
    ...(exitWithParent ? ['--import', PARENT_WATCHDOG] : []),
    'l7mp-proxy.js',
    '-c',
    configPath,
    '-l',
    opts.logLevel ?? 'warn',
    ...(opts.strict ? ['-s'] : []),
  ];
  const child = spawn(process.execPath, args, {
    cwd: l7mpPackageDir(),
    stdio: [exitWithParent ? 'pipe' : 'ignore', 'pipe', 'pipe'],
  });
  trackChild(child);

  const maxLog = opts.maxLogBytes ?? 1 << 20;
  let output = '';
  const append = (chunk: string) => {
    output += chunk;
    if (output.length > maxLog) output = output.slice(output.length - maxLog);
  };
  child.stdout!.setEncoding('utf8').on('data', append);
  child.stderr!.setEncoding('utf8').on('data', append);
  child.stdin?.on('error', () => {}); // the watchdog pipe: nothing is written, a broken pipe is fine

  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      resolve();
    });
  });
  let spawnError: Error | undefined;
  child.once('error', (e) => {
    spawnError = e;
    exit ??= { code: null, signal: null };
  });

  const stopTimeout = opts.stopTimeoutMs ?? 5000;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      if (exit || child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const done = await settlesWithin(exited, stopTimeout);
      if (!done) {
        child.kill('SIGKILL');
        await exited;
      }
    })());

  // Wait for the REST API; fail fast when the process dies (a static-config error exits 1).
  const deadline = Date.now() + (opts.startTimeoutMs ?? 30_000);
  for (;;) {
    if (spawnError) throw new LocalProxyError(`cannot start l7mp: ${spawnError.message}`, output);
    if (exit)
      throw new LocalProxyError(
        `l7mp exited during start-up (${exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`}) with config ${configPath}`,
        output,
      );
    if (await adminAnswers(adminUrl, 2000)) {
      if (!exit) break; // (the port was free before the start, so this answer is ours)
      continue;
    }
    if (Date.now() > deadline) {
      await stop();
      throw new LocalProxyError(
        `l7mp REST API at ${adminUrl} did not answer within ${opts.startTimeoutMs ?? 30_000} ms`,
        output,
      );
    }
    await settlesWithin(exited, 100);
  }

  return {
    pid: child.pid!,
    adminUrl,
    stop,
    logs: () => output,
    exited: () => exit,
  };
}
