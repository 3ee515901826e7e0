// bench/compile: generates a repo of 10,000 VirtualServices and 10,000 Targets over 1,000 proxies,
// then measures in one process: full `build` (read + compile + emit, no writing) and the time
// js-yaml takes merely to parse the same files (the baseline). Prints figures and the ratio.
//   npx tsx bench/compile.ts [--proxies 1000] [--per-proxy 10] [--runs 3]
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import yaml from 'js-yaml';
import { compileRepo } from '../runtime/compile-repo.ts';
import { listConfigFiles } from '../runtime/repo-files.ts';
import { buildOutputs } from '../compiler/stages/emit.ts';

const arg = (name: string, dflt: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};
const PROXIES = arg('proxies', 1000);
const PER = arg('per-proxy', 10);
const RUNS = arg('runs', 3);

function generate(dir: string): void {
  for (let p = 0; p < PROXIES; p++) {
    const docs: string[] = [];
    const addr = `127.${(p >> 8) & 255}.${p & 255}.1`;
    docs.push(`apiVersion: l7mp.io/v1
kind: Proxy
metadata: {name: proxy-${p}, labels: {proxy: p${p}, tier: edge}}
spec: {admin: {url: "http://${addr}:1234"}, address: ${addr}}`);
    for (let k = 0; k < PER; k++) {
      const i = p * PER + k;
      docs.push(`apiVersion: l7mp.io/v1
kind: VirtualService
metadata: {name: vs-${i}, labels: {app: game-${i}}}
spec:
  selector: {matchLabels: {proxy: p${p}}}
  listener:
    spec: {UDP: {port: ${20000 + k}}}
    rules:
      - match: {op: test, path: /IP/src_addr, value: 10.0.${k}.1}
        action:
          rewrite: [{path: /labels/user, value: u${k}}]
          route: {destination: target-${i}, retry: {retry_on: always, num_retries: 3, timeout: 500}}
      - action: {route: {destination: target-${i}}}`);
      docs.push(`apiVersion: l7mp.io/v1
kind: Target
metadata: {name: target-${i}}
spec:
  selector: {matchLabels: {proxy: p${p}}}
  cluster:
    spec: {UDP: {port: ${30000 + k}}}
    loadbalancer: {policy: ConsistentHash, key: /IP/src_addr}
    endpoints:
      - spec: {address: 10.${k}.${p & 255}.1}
      - spec: {address: 10.${k}.${p & 255}.2}
        weight: 2`);
    }
    const sub = join(dir, `group-${Math.floor(p / 100)}`);
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(sub, `proxy-${p}.yaml`), docs.join('\n---\n') + '\n');
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (t0: bigint) => Number(process.hrtime.bigint() - t0) / 1e6;

const dir = mkdtempSync(join(tmpdir(), 'l7c-bench-'));
try {
  generate(dir);
  const files = await listConfigFiles(dir);
  const bytes = files.reduce((n, f) => n + readFileSync(f).length, 0);
  console.log(
    `repo: ${PROXIES} proxies, ${PROXIES * PER} VirtualServices, ${PROXIES * PER} Targets, ${files.length} files, ${(bytes / 1048576).toFixed(1)} MiB`,
  );

  const parseTimes: number[] = [];
  const buildTimes: number[] = [];
  let objects = 0;
  let stages: Readonly<Record<string, number>> = {};
  for (let r = 0; r < RUNS; r++) {
    // baseline: read + js-yaml parse of the same files
    let t0 = process.hrtime.bigint();
    let n = 0;
    for (const f of files) n += yaml.loadAll(readFileSync(f, 'utf8')).length;
    parseTimes.push(ms(t0));
    objects = n;
    // full build: read + compile + emit
    t0 = process.hrtime.bigint();
    const res = await compileRepo(dir);
    const emitStart = process.hrtime.bigint();
    const out = buildOutputs(res.graphs);
    buildTimes.push(ms(t0));
    stages = { ...res.timings, emit: ms(emitStart) };
    if (res.hasErrors)
      throw new Error(`bench repo has errors: ${JSON.stringify(res.diagnostics.slice(0, 3))}`);
    if (out.size !== PROXIES + 1) throw new Error(`expected ${PROXIES + 1} outputs, got ${out.size}`);
  }
  const parse = median(parseTimes);
  const build = median(buildTimes);
  const rss = process.resourceUsage().maxRSS / 1024;
  console.log(`objects parsed: ${objects}`);
  console.log(
    `js-yaml parse (baseline), median of ${RUNS}: ${parse.toFixed(0)} ms  [${parseTimes.map((t) => t.toFixed(0)).join(', ')}]`,
  );
  console.log(
    `full build,               median of ${RUNS}: ${build.toFixed(0)} ms  [${buildTimes.map((t) => t.toFixed(0)).join(', ')}]`,
  );
  console.log(`ratio build / parse: ${(build / parse).toFixed(2)}x   (target <= 3x)`);
  console.log(`peak memory (max RSS): ${rss.toFixed(0)} MiB`);
  console.log(
    `last build by stage (ms; read is the rest): ${Object.entries(stages)
      .map(([k, v]) => `${k} ${v.toFixed(0)}`)
      .join(', ')}`,
  );
  if (process.env.KEEP) {
    console.log('kept', dir);
    process.exit(0);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
