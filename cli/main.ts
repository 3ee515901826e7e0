// The CLI: argument parsing and rendering only (DESIGN §2). Never prints a stack trace for bad
// input; an unexpected exception is reported as an internal error with exit code 1.
import { Command, CommanderError } from 'commander';
import { registerValidate } from './commands/validate.ts';
import { registerBuild } from './commands/build.ts';
import { registerGraph } from './commands/graph.ts';
import { registerExplain } from './commands/explain.ts';
import { registerPlan } from './commands/plan.ts';
import { registerApply } from './commands/apply.ts';
import { registerUp } from './commands/up.ts';
import { registerWatch } from './commands/watch.ts';
import { registerStatus } from './commands/status.ts';
import { registerOffload } from './commands/offload.ts';
import type { Io } from './commands/common.ts';

export async function main(argv: readonly string[], io?: Partial<Io>): Promise<number> {
  let code = 0;
  const sink: Io = {
    out: io?.out ?? ((s) => process.stdout.write(s)),
    err: io?.err ?? ((s) => process.stderr.write(s)),
    exit: (c) => {
      code = c;
    },
    color: io?.color ?? (process.stdout.isTTY === true && !process.env.NO_COLOR),
  };
  const program = new Command('l7mp-compile')
    .description('GitOps for l7mp multiprotocol service meshes: validate, compile, plan and apply')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeOut: sink.out, writeErr: sink.err })
    .showHelpAfterError();
  registerValidate(program, sink);
  registerBuild(program, sink);
  registerGraph(program, sink);
  registerPlan(program, sink);
  registerApply(program, sink);
  registerUp(program, sink);
  registerWatch(program, sink);
  registerStatus(program, sink);
  registerExplain(program, sink);
  registerOffload(program, sink);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) return e.exitCode === 0 ? 0 : 1;
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT' || err.code === 'EACCES' || err.code === 'ENOTDIR') {
      sink.err(`error: ${err.message}\n`);
      return 1;
    }
    sink.err(
      `internal error: ${err.message ?? String(e)}\n(this is a bug in l7mp-compile; please report it)\n`,
    );
    if (process.env.L7MP_COMPILE_DEBUG) sink.err(`${err.stack}\n`);
    return 1;
  }
}
