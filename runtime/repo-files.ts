// Reads a repository's configuration files from disk for the compiler (the compiler itself does no
// I/O). Skips VCS metadata, dependencies and hidden directories.
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { SourceFile } from '../compiler/host.ts';
import { formatOf } from '../compiler/stages/load.ts';

const SKIP = new Set(['node_modules', '.git', 'cue.mod']);

export async function listConfigFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const e of entries) {
      if (SKIP.has(e.name) || e.name.startsWith('.')) continue;
      const full = join(dir, e.name);
      if (e.isDirectory()) await walk(full);
      else if (e.isFile() && formatOf(e.name)) out.push(full);
    }
  };
  await walk(root);
  return out.sort();
}

export async function readRepo(root: string): Promise<SourceFile[]> {
  const paths = await listConfigFiles(root);
  return Promise.all(
    paths.map(async (p) => ({
      path: relative(root, p).split(sep).join('/'),
      bytes: new Uint8Array(await readFile(p)),
    })),
  );
}
