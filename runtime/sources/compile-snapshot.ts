// Compiles files read from any source (a directory, a Git commit), with the real CUE evaluator when
// there are CUE files: what runtime/compile-repo.ts does for a directory.
import { compile, type CompileResult } from '../../compiler/pipeline.ts';
import type { SourceFile } from '../../compiler/host.ts';
import { createCueEvaluator } from '../cue-evaluator.ts';

export function compileFiles(files: readonly SourceFile[]): Promise<CompileResult> {
  const hasCue = files.some((f) => f.path.endsWith('.cue'));
  return compile({ files, ...(hasCue ? { cue: createCueEvaluator() } : {}) });
}
