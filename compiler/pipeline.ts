// The compiler as a list of named stages (DESIGN §2): load → parse → validate → normalise → resolve
// → check → lower. Each stage appends diagnostics and the run keeps going where that is safe, so a
// user sees every problem at once. Pure apart from the injected CUE evaluator.
import { defaultLimits, type CompileInput } from './host.ts';
import { Diagnostics, sortDiagnostics, type Diagnostic } from './diagnostics/diagnostic.ts';
import { Locator } from './source/locate.ts';
import { load } from './stages/load.ts';
import { parseYaml } from './stages/parse-yaml.ts';
import { parseCueFiles } from './stages/cue.ts';
import { validate } from './stages/validate.ts';
import { normalise } from './stages/normalise.ts';
import { resolve } from './stages/resolve.ts';
import { check } from './stages/check.ts';
import { lower } from './stages/lower.ts';
import type { Model } from './model/types.ts';
import type { ProxyGraph } from './model/graph.ts';

export interface CompileResult {
  readonly diagnostics: readonly Diagnostic[];
  readonly model: Model;
  readonly graphs: readonly ProxyGraph[];
  /** the configuration files that were read (YAML and CUE), sorted */
  readonly files: readonly string[];
  /** source text by file, for excerpts in rendered diagnostics */
  readonly sources: ReadonlyMap<string, string>;
  readonly hasErrors: boolean;
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
  const texts = load(input.files, limits, diags);
  const yamlObjects = texts.filter((t) => t.format === 'yaml').flatMap((t) => parseYaml(t, limits, diags));
  const cueTexts = texts.filter((t) => t.format === 'cue');
  const cueObjects = cueTexts.length ? await parseCueFiles(cueTexts, input.cue, diags) : [];
  const valid = validate([...yamlObjects, ...cueObjects], diags);
  const model = normalise(valid, diags);
  const resolved = resolve(model, diags);
  check(resolved, diags);
  const graphs = lower(resolved, diags);

  const sources = new Map(texts.map((t) => [t.path, t.text]));
  const formats = new Map(texts.map((t) => [t.path, t.format]));
  const located = new Locator((f) => sources.get(f)).fill(dedupe(diags.items), (f) => formats.get(f));
  const diagnostics = sortDiagnostics(located);
  return {
    diagnostics,
    model,
    graphs,
    files: [...sources.keys()],
    sources,
    hasErrors: diagnostics.some((d) => d.severity === 'error'),
  };
}
