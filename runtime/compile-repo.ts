// Compiles a repository directory: reads its files and supplies the real CUE evaluator.
import { compile, type CompileResult } from '../compiler/pipeline.ts';
import type { CompileLimits } from '../compiler/host.ts';
import { readRepo } from './repo-files.ts';
import { createCueEvaluator } from './cue-evaluator.ts';

export async function compileRepo(dir: string, limits?: Partial<CompileLimits>): Promise<CompileResult> {
  const files = await readRepo(dir);
  const hasCue = files.some((f) => f.path.endsWith('.cue'));
  return compile({ files, ...(hasCue ? { cue: createCueEvaluator() } : {}), ...(limits ? { limits } : {}) });
}
