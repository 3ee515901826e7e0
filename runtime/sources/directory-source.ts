// A directory as a source: chokidar reports file events (each only says "look again"); a read is
// the whole directory as runtime/repo-files.ts reads it, with a content hash as its revision.
import { stat } from 'node:fs/promises';
import { resolve, relative, sep } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { readRepo } from '../repo-files.ts';
import { contentRevision } from './content-revision.ts';
import { isConfigPath, isSkippedName } from './config-paths.ts';
import type { Snapshot, Source, SourceInfo } from './source.ts';

export class DirectorySource implements Source {
  readonly info: SourceInfo;
  private readonly root: string;
  private watcher: FSWatcher | undefined;
  private notify: ((eventAt: number) => void) | undefined;
  /** the first file event not yet covered by a read */
  private firstUnreadEvent: number | undefined;

  constructor(dir: string) {
    this.root = resolve(dir);
    this.info = { kind: 'directory', location: this.root };
  }

  private rel(p: string): string {
    return relative(this.root, resolve(this.root, p)).split(sep).join('/');
  }

  /** Directories that are never read are not watched either; everything else is (new subdirectories). */
  private ignored = (p: string): boolean => {
    const rel = this.rel(p);
    return rel !== '' && rel.split('/').some(isSkippedName);
  };

  async watch(notify: (eventAt: number) => void, health: (e: Error | undefined) => void): Promise<void> {
    const st = await stat(this.root).catch(() => undefined);
    if (!st?.isDirectory()) throw new Error(`${this.root} is not a directory`);
    this.notify = notify;
    const w = watch(this.root, { ignoreInitial: true, ignored: this.ignored, persistent: true });
    this.watcher = w;
    w.on('all', (event, p) => {
      const rel = this.rel(p);
      // A file that is not configuration changes nothing; a directory event may hide files.
      if (!event.endsWith('Dir') && !isConfigPath(rel)) return;
      const at = Date.now();
      this.firstUnreadEvent ??= at;
      notify(at);
    });
    w.on('error', (e) => health(e instanceof Error ? e : new Error(String(e))));
    await new Promise<void>((r) => w.once('ready', () => r()));
  }

  trigger(): Promise<void> {
    this.notify?.(Date.now());
    return Promise.resolve();
  }

  async read(): Promise<Snapshot> {
    const changedAt = this.firstUnreadEvent;
    this.firstUnreadEvent = undefined;
    const files = await readRepo(this.root);
    return { revision: contentRevision(files), files, ...(changedAt !== undefined ? { changedAt } : {}) };
  }

  async stop(): Promise<void> {
    await this.watcher?.close();
    this.watcher = undefined;
  }
}
