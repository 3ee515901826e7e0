// The Git source against real repositories (a local bare remote and a working clone, `git` CLI):
// clone into a cache, read the branch head's configuration files (revision = commit SHA), notice
// new commits by polling and on trigger, report force-pushes (backwards and sideways), read any
// ref, and fail clearly on a wrong branch. No proxies here.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { GitSource } from '../runtime/sources/git-source.ts';
import { readGitRef } from '../runtime/sources/git-ref.ts';
import { Cleanup, tempDir, waitFor } from './support/watch-fixture.ts';
import { createRemote, git, type TestRemote } from './support/watch-git-repo.ts';

const text = (b: Uint8Array) => new TextDecoder().decode(b);

describe('Git source', () => {
  const cleanup = new Cleanup();
  let root: string;
  let remote: TestRemote;
  let first: string;

  before(async () => {
    root = await tempDir(cleanup, 'l7c-git-source-');
    remote = await createRemote(root);
    first = await remote.commit(
      {
        'proxies.yaml': 'kind: Proxy\n',
        'svc/a.yml': 'a: 1\n',
        'svc/b.cue': 'b: 2\n',
        'README.md': '# not configuration\n',
        '.github/workflow.yaml': 'hidden: true\n',
        'node_modules/x/pkg.yaml': 'dependency: true\n',
        'cue.mod/module.cue': 'module: "x"\n',
      },
      'first',
    );
  });
  after(() => cleanup.run());

  const source = (o: Partial<ConstructorParameters<typeof GitSource>[0]> = {}) => {
    const s = new GitSource({
      url: remote.bare,
      branch: 'main',
      cacheDir: join(root, 'cache'),
      intervalMs: 0,
      ...o,
    });
    cleanup.add(() => s.stop());
    return s;
  };

  it('reads the configuration files of the branch head, with its SHA and commit time', async () => {
    const s = source();
    await s.watch(
      () => {},
      (e) => assert.fail(e),
    );
    const snap = await s.read();
    assert.equal(snap.revision, first);
    assert.deepEqual(
      snap.files.map((f) => f.path),
      ['proxies.yaml', 'svc/a.yml', 'svc/b.cue'],
    );
    assert.equal(text(snap.files[1]!.bytes), 'a: 1\n');
    assert.equal(snap.subject, 'first');
    const ct = Number(await git(remote.work, 'show', '-s', '--format=%ct', first)) * 1000;
    assert.equal(snap.changedAt, ct);
    assert.equal(snap.forcePush, undefined);
    await s.stop();
  });

  it('notices a new commit by polling, and reads it (a fast-forward is no force-push)', async () => {
    const s = source({ intervalMs: 100 });
    const events: number[] = [];
    await s.watch(
      (at) => events.push(at),
      () => {},
    );
    assert.equal((await s.read()).revision, first);
    const second = await remote.commit({ 'proxies.yaml': 'kind: Proxy\n', 'svc/a.yml': 'a: 2\n' }, 'second');
    await waitFor('a poll notices the new commit', () => (events.length > 0 ? true : undefined), {
      timeoutMs: 30_000,
    });
    const snap = await s.read();
    assert.equal(snap.revision, second);
    assert.deepEqual(
      snap.files.map((f) => f.path),
      ['proxies.yaml', 'svc/a.yml'],
    );
    assert.equal(text(snap.files[1]!.bytes), 'a: 2\n');
    assert.equal(snap.forcePush, undefined);
    await s.stop();
  });

  it('reports a force-push backwards and sideways, and applies nothing of it itself', async () => {
    const s = source();
    const events: number[] = [];
    await s.watch(
      (at) => events.push(at),
      () => {},
    );
    const head = (await s.read()).revision;
    await remote.forcePush(first);
    await s.trigger();
    assert.equal(events.length, 1, 'trigger notifies');
    const back = await s.read();
    assert.equal(back.revision, first);
    assert.deepEqual(back.forcePush, { from: head, to: first, direction: 'backwards' });
    assert.equal((await s.read()).forcePush, undefined, 'reported once');

    // a fast-forward from there, then a commit on another line of history: neither ancestor nor descendant
    const side = await remote.commit({ 'proxies.yaml': 'kind: Proxy\n', 'side.yaml': 's: 1\n' }, 'side');
    await s.trigger();
    const fwd = await s.read();
    assert.equal(fwd.revision, side);
    assert.equal(fwd.forcePush, undefined, 'a commit on top of the current head is a fast-forward');
    await remote.forcePush(head);
    const sideways = await remote.commit(
      { 'proxies.yaml': 'kind: Proxy\n', 'other.yaml': 'o: 1\n' },
      'other',
    );
    await s.trigger();
    const snap = await s.read();
    assert.equal(snap.revision, sideways);
    assert.deepEqual(snap.forcePush, { from: side, to: sideways, direction: 'sideways' });
    await s.stop();
  });

  it('reads any ref of the cache, and of a working tree (apply --ref), also from a subdirectory', async () => {
    const s = source();
    await s.watch(
      () => {},
      () => {},
    );
    const old = await s.readRef(first);
    assert.equal(old.revision, first);
    assert.ok(old.files.some((f) => f.path === 'svc/b.cue'));
    await assert.rejects(s.readRef('no-such-ref'), /no commit "no-such-ref"/);

    const fromWork = await readGitRef(remote.work, first);
    assert.equal(fromWork.revision, first);
    assert.deepEqual(
      fromWork.files.map((f) => f.path),
      ['proxies.yaml', 'svc/a.yml', 'svc/b.cue'],
    );
    const sub = await readGitRef(join(remote.work, 'svc'), first);
    assert.deepEqual(
      sub.files.map((f) => f.path),
      ['a.yml', 'b.cue'],
      'paths relative to the subdirectory',
    );
    const prev = await readGitRef(remote.work, 'HEAD~1');
    assert.equal(prev.revision, await git(remote.work, 'rev-parse', 'HEAD~1'));
    await assert.rejects(readGitRef(root, 'HEAD'), /not inside a Git repository/);
    await s.stop();
  });

  it('fails clearly on a branch the remote does not have, and re-clones a cache of another URL', async () => {
    const bad = source({ branch: 'no-such-branch', cacheDir: join(root, 'cache-bad') });
    await assert.rejects(
      bad.watch(
        () => {},
        () => {},
      ),
      /cannot clone .*no-such-branch/,
    );
    assert.throws(() => source({ branch: '--upload-pack=x' }), /not a valid branch name/);

    const other = await createRemote(join(root, 'other'));
    const otherHead = await other.commit({ 'x.yaml': 'x: 1\n' }, 'other remote');
    const s = new GitSource({
      url: other.bare,
      branch: 'main',
      cacheDir: join(root, 'cache'),
      intervalMs: 0,
    });
    cleanup.add(() => s.stop());
    await s.watch(
      () => {},
      () => {},
    );
    assert.equal((await s.read()).revision, otherHead, 'the cache of the first remote was replaced');
    await s.stop();
  });
});
