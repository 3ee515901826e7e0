// The compiler as a list of named stages (DESIGN §2): load → parse → validate → normalise → resolve
// → check → lower. Each stage appends diagnostics and the run keeps going where that is safe, so a
// user sees every problem at once. Pure apart from the injected CUE evaluator.
import { defaultLimits, type CompileInput } from './host.ts';
import { Diagnostics, sortDiagnostics, type Diagnostic } from './diagnostics/diagnostic.ts';
import { Locator } from './source/locate.ts';
import { formatOf, load } from './stages/load.ts';
import { parseYaml } from './stages/parse-yaml.ts';
import { parseCueFiles } from './stages/cue.ts';
import { validate } from './stages/validate.ts';
import { normalise } from './stages/normalise.ts';
import { resolve } from './stages/resolve.ts';
import { check } from './stages/check.ts';
import { lower } from './stages/lower.ts';
import { place } from './lowering/placement.ts';
import type { Model } from './model/types.ts';
import type { ProxyGraph } from './model/graph.ts';

export interface CompileResult {
  readonly diagnostics: readonly Diagnostic[];
  readonly model: Model;
  readonly graphs: readonly ProxyGraph[];
  /** every configuration file given (YAML and CUE, including rejected ones), sorted */
  readonly files: readonly string[];
  /** source text by file, for excerpts in rendered diagnostics */
  readonly sources: ReadonlyMap<string, string>;
  readonly hasErrors: boolean;
  /** milliseconds per stage (for benchmarks and --timings) */
  readonly timings: Readonly<Record<string, number>>;
}

function dedupe(ds: readonly Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return ds.filter((d) => {
    const k = JSON.stringify([d.code, d.file, d.document, d.path, d.message]);
    return !seen.has(k) && seen.add(k) !== undefined;
  });
}

export async function compile(input: CompileInput): Promise<CompileResult> {
  const limits = { ...defaultLimits, ...input.limits };
  const diags = new Diagnostics();
  const timings: Record<string, number> = {};
  let t0 = performance.now();
  const stage = <T>(name: string, v: T): T => {
    const t = performance.now();
    timings[name] = (timings[name] ?? 0) + (t - t0);
    t0 = t;
    return v;
  };
  const texts = stage('load', load(input.files, limits, diags));
  const yamlObjects = stage(
    'parse',
    texts.filter((t) => t.format === 'yaml').flatMap((t) => parseYaml(t, limits, diags)),
  );
  const cueTexts = texts.filter((t) => t.format === 'cue');
  const cueObjects = stage(
    'parse-cue',
    cueTexts.length ? await parseCueFiles(cueTexts, input.cue, diags) : [],
  );
  const valid = stage('validate', validate([...yamlObjects, ...cueObjects], diags));
  const model = stage('normalise', normalise(valid, diags));
  const resolved = stage('resolve', resolve(model, diags));
  const placement = place(resolved, diags);
  stage('check', check(resolved, placement, diags));
  const graphs = stage('lower', lower(resolved, placement, diags));

  const sources = new Map(texts.map((t) => [t.path, t.text]));
  const formats = new Map(texts.map((t) => [t.path, t.format]));
  const located = new Locator((f) => sources.get(f)).fill(dedupe(diags.items), (f) => formats.get(f));
  const diagnostics = stage('locate', sortDiagnostics(located));
  return {
    diagnostics,
    model,
    graphs,
    files: input.files
      .map((f) => f.path)
      .filter((p) => formatOf(p) !== undefined)
      .sort(),
    sources,
    hasErrors: diagnostics.some((d) => d.severity === 'error'),
    timings,
  };
}
