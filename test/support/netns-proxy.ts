// A real l7mp proxy inside a network namespace. runtime/local-proxy.ts starts `node l7mp-proxy.js`
// in the test's own namespace and polls its REST API from there; here the same command runs
// through `nsenter --net=/run/netns/NS` (nsenter execs it, so the pid is the proxy's), and the REST
// API is polled from inside the namespace too, since 127.0.0.1 there is not ours. Left as a test
// helper rather than an option of startLocalProxy: only these tests need it.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { l7mpPackageDir } from '../../runtime/local-proxy.ts';
import { staticConfig } from '../../compiler/stages/emit.ts';
import type { ProxyGraph } from '../../compiler/model/graph.ts';
import { inNs } from './netns.ts';

/** The proxy exits when our stdin pipe closes, so a killed test leaves no proxy behind. */
const PARENT_WATCHDOG =
  'data:text/javascript,' +
  encodeURIComponent(
    'const i=process.stdin;const bye=()=>process.exit(0);i.on("end",bye);i.on("close",bye);i.on("error",bye);i.resume();i.unref();',
  );

export interface NetnsProxy {
  readonly pid: number;
  /** GET a REST path (e.g. /api/v1/sessions) from inside the namespace; the parsed JSON */
  get(path: string): Promise<unknown>;
  logs(): string;
  stop(): Promise<void>;
}

async function getInNs(netns: string, url: string): Promise<unknown> {
  const script = `fetch(${JSON.stringify(url)},{signal:AbortSignal.timeout(2000)}).then(r=>r.text()).then(t=>{process.stdout.write(t)},e=>{process.stderr.write(String(e));process.exit(1)})`;
  return JSON.parse(await inNs(netns, process.execPath, ['-e', script]));
}

/**
 * Writes the graph's static config to `configPath` and starts l7mp on it inside `netns`; `cpu` pins
 * it to one CPU (taskset), as bench/offload.ts does.
 */
export async function startProxyInNetns(
  netns: string,
  graph: ProxyGraph,
  configPath: string,
  opts: { cpu?: number } = {},
): Promise<NetnsProxy> {
  await writeFile(configPath, JSON.stringify(staticConfig(graph)));
  const port = new URL(graph.admin.url).port;
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    'nsenter',
    [
      `--net=/run/netns/${netns}`,
      ...(opts.cpu !== undefined ? ['taskset', '-c', String(opts.cpu)] : []),
      process.execPath,
      '--import',
      PARENT_WATCHDOG,
      'l7mp-proxy.js',
      '-c',
      configPath,
      '-l',
      'warn',
    ],
    { cwd: l7mpPackageDir(), stdio: ['pipe', 'pipe', 'pipe'] },
  );
  let output = '';
  const append = (d: string) => (output = (output + d).slice(-100_000));
  child.stdout!.setEncoding('utf8').on('data', append);
  child.stderr!.setEncoding('utf8').on('data', append);
  child.stdin!.on('error', () => {});
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(t);
  };
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`l7mp exited during start-up (${child.exitCode}):\n${output}`);
    try {
      await getInNs(netns, `${url}/api/v1/admin`);
      break;
    } catch {
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`l7mp REST API in ${netns} did not answer within 60 s:\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return { pid: child.pid!, get: (path) => getInNs(netns, `${url}${path}`), logs: () => output, stop };
}
