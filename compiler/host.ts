// What the compiler needs from the outside world. The compiler itself does no I/O (DESIGN §2):
// the CLI, the watcher, tests and benchmarks each build a CompileInput their own way.

export interface SourceFile {
  /** repo-relative POSIX path, e.g. "services/gateway.yaml"; used in every diagnostic */
  readonly path: string;
  readonly bytes: Uint8Array;
}

export interface CueFile {
  readonly path: string;
  readonly text: string;
}

/** Result of `cue export` over one package of files. `stderr` carries CUE's own messages with positions. */
export type CueExportResult = { ok: true; value: unknown } | { ok: false; stderr: string };

/**
 * Evaluates CUE with CUE's WebAssembly build. Provided by the runtime (runtime/cue-evaluator.ts);
 * tests may pass the same real evaluator. `files` are evaluated together as one instance; paths
 * in `stderr` positions are the given repo-relative paths.
 */
export interface CueEvaluator {
  export(files: readonly CueFile[]): Promise<CueExportResult>;
}

export interface CompileLimits {
  /** bytes; larger files are rejected with L7C1001 before parsing */
  maxFileBytes: number;
  /** nodes after YAML alias expansion per document (alias bombs) */
  maxDocumentNodes: number;
  /** nesting depth per document */
  maxDepth: number;
}

export const defaultLimits: CompileLimits = {
  maxFileBytes: 8 * 1024 * 1024,
  maxDocumentNodes: 1_000_000,
  maxDepth: 64,
};

export interface CompileInput {
  readonly files: readonly SourceFile[];
  /** required only when the repo has .cue files */
  readonly cue?: CueEvaluator;
  readonly limits?: Partial<CompileLimits>;
}
