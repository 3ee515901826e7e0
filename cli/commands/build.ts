// `l7mp-compile build [DIR] -o OUT`: one static l7mp config per proxy plus graph.json.
import type { Command } from 'commander';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildOutputs } from '../../compiler/stages/emit.ts';
import { compileRepo } from '../../runtime/compile-repo.ts';
import { renderDiagnostics } from '../render/diagnostics.ts';
import { limitOptions, type Io } from './common.ts';

export function registerBuild(program: Command, io: Io): void {
  program
    .command('build')
    .description('compile a repository into one static l7mp config per proxy (<proxy>.yaml) and graph.json')
    .argument('[dir]', 'repository directory', '.')
    .requiredOption('-o, --out <dir>', 'output directory')
    .option('--max-file-size <bytes>', 'largest file accepted, in bytes', String(8 * 1024 * 1024))
    .action(async (dir: string, opts: { out: string; maxFileSize: string }) => {
      const res = await compileRepo(dir, limitOptions(opts));
      if (res.diagnostics.length)
        io.err(
          renderDiagnostics('text', res.diagnostics, { sources: (f) => res.sources.get(f), color: io.color }),
        );
      if (res.hasErrors) {
        io.err('build: nothing written because of the errors above\n');
        io.exit(1);
        return;
      }
      await mkdir(opts.out, { recursive: true });
      const outputs = buildOutputs(res.graphs);
      for (const [name, content] of outputs) await writeFile(join(opts.out, name), content);
      io.out(`wrote ${outputs.size} files to ${opts.out}: ${[...outputs.keys()].join(', ')}\n`);
      io.exit(0);
    });
}
