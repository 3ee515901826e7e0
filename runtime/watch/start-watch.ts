// Wiring for `l7mp-compile watch` (and tests, and the benchmark): a source, the controller and,
// with `listen`, the status server; `stop()` undoes all of it.
import { DirectorySource } from '../sources/directory-source.ts';
import { GitSource } from '../sources/git-source.ts';
import type { Source } from '../sources/source.ts';
import { Controller, type ControllerOptions } from './controller.ts';
import { startStatusServer, type StatusServer } from './status-server.ts';

export interface WatchOptions extends Omit<ControllerOptions, 'source'> {
  /** a directory, or a Git branch */
  readonly from:
    { readonly dir: string } | { readonly git: string; readonly branch: string; readonly cacheDir?: string };
  /** Git: fetch every this many ms (0: only on POST /trigger) */
  readonly intervalMs: number;
  /** HOST:PORT of the status server */
  readonly listen?: string;
}

export interface Watch {
  readonly controller: Controller;
  readonly server?: StatusServer;
  stop(): Promise<void>;
}

export function sourceFor(o: WatchOptions['from'], intervalMs: number): Source {
  return 'dir' in o
    ? new DirectorySource(o.dir)
    : new GitSource({
        url: o.git,
        branch: o.branch,
        intervalMs,
        ...(o.cacheDir ? { cacheDir: o.cacheDir } : {}),
      });
}

export async function startWatch(o: WatchOptions): Promise<Watch> {
  const { from, intervalMs, listen, ...rest } = o;
  const controller = new Controller({ ...rest, source: sourceFor(from, intervalMs) });
  const server = listen ? await startStatusServer(controller, listen) : undefined;
  try {
    await controller.start();
  } catch (e) {
    await server?.close();
    await controller.stop().catch(() => undefined);
    throw e;
  }
  let stopping: Promise<void> | undefined;
  return {
    controller,
    ...(server ? { server } : {}),
    stop: () =>
      (stopping ??= (async () => {
        await controller.stop();
        await server?.close();
      })()),
  };
}
