// What every command gets from main: output streams and the exit code, so commands can be run
// in-process by tests.
import type { CompileLimits } from '../../compiler/host.ts';

export interface Io {
  out(s: string): void;
  err(s: string): void;
  exit(code: number): void;
  readonly color: boolean;
}

export function limitOptions(opts: { maxFileSize?: string }): Partial<CompileLimits> {
  const n = Number(opts.maxFileSize);
  return Number.isFinite(n) && n > 0 ? { maxFileBytes: n } : {};
}
