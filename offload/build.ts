// Builds the tc program: offload/bpf/ofl_fwd.c → offload/bpf/build/ofl_fwd.o (gitignored), only
// when the object is missing or older than its sources. `make offload` runs this file; the tests
// and `offload apply` call buildProgram() (a no-op when the object is current).
//   npx tsx offload/build.ts [--force]
import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { arch } from 'node:os';
import { fileURLToPath } from 'node:url';
import { LAYOUT_H_PATH, layoutHeader } from './gen-layout-h.ts';
import { OffloadError, run } from './exec.ts';

const BPF_DIR = fileURLToPath(new URL('./bpf/', import.meta.url));
export const SOURCE_PATH = `${BPF_DIR}ofl_fwd.c`;
export const OBJECT_PATH = `${BPF_DIR}build/ofl_fwd.o`;

/** Debian's multiarch include directory (asm/types.h lives there), e.g. x86_64-linux-gnu. */
function multiarch(): string {
  const m: Record<string, string> = {
    x64: 'x86_64',
    arm64: 'aarch64',
    arm: 'arm',
    ia32: 'i386',
    riscv64: 'riscv64',
  };
  return `/usr/include/${m[arch()] ?? arch()}-linux-gnu`;
}

/** The one build command (also what docs/offload.md shows). */
export function clangArgs(out = OBJECT_PATH): string[] {
  return [
    '-O2',
    '-g',
    '-target',
    'bpf',
    `-I${multiarch()}`,
    '-Wall',
    '-Werror',
    '-c',
    SOURCE_PATH,
    '-o',
    out,
  ];
}

function mtime(p: string): number {
  try {
    return statSync(p).mtimeMs;
  } catch {
    return -1;
  }
}

export async function buildProgram(
  opts: { force?: boolean } = {},
): Promise<{ path: string; built: boolean }> {
  if (readFileSync(LAYOUT_H_PATH, 'utf8') !== layoutHeader())
    throw new OffloadError(`${LAYOUT_H_PATH} is stale: run npx tsx offload/gen-layout-h.ts`, 'no-object');
  const newest = Math.max(mtime(SOURCE_PATH), mtime(LAYOUT_H_PATH));
  if (!opts.force && mtime(OBJECT_PATH) >= newest) return { path: OBJECT_PATH, built: false };
  mkdirSync(`${BPF_DIR}build`, { recursive: true });
  await run('clang', clangArgs());
  return { path: OBJECT_PATH, built: true };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  buildProgram({ force: process.argv.includes('--force') }).then(
    (r) => process.stdout.write(r.built ? `built ${r.path}\n` : `${r.path} is up to date\n`),
    (e: Error) => {
      process.stderr.write(`offload build: ${e.message}\n`);
      process.exit(1);
    },
  );
}
