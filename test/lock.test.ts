// The per-proxy apply lock against a real proxy: the proxy's duplicate-name check is the
// test-and-set, removing a named entry from the lock's rulelist is the compare-and-delete.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalProxy, type LocalProxy } from '../runtime/local-proxy.ts';
import { controllerListener } from '../compiler/stages/emit.ts';
import { ProxyClient, encodeName } from '../runtime/proxy/client.ts';
import { acquireLock, readLock, LOCK_NAME, type Lock, type LockHeld } from '../runtime/proxy/lock.ts';

const ADMIN_PORT = 18130;
const STRICT_ADMIN_PORT = 18131;

const isLock = (l: Lock | LockHeld): l is Lock => 'release' in l;

for (const strict of [false, true]) {
  describe(`apply lock (${strict ? 'strict' : 'non-strict'} proxy)`, () => {
    let proxy: LocalProxy;
    let dir: string;
    let client: ProxyClient;
    const clients: ProxyClient[] = [];
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'l7c-lock-'));
      const cfg = join(dir, 'proxy.json');
      const port = strict ? STRICT_ADMIN_PORT : ADMIN_PORT;
      await writeFile(
        cfg,
        JSON.stringify({ admin: { log_level: 'warn' }, listeners: [controllerListener(port)] }),
      );
      proxy = await startLocalProxy({ configPath: cfg, strict });
      client = new ProxyClient({ adminUrl: proxy.adminUrl });
      // separate clients (separate connections), as separate appliers would have
      for (let i = 0; i < 6; i++) clients.push(new ProxyClient({ adminUrl: proxy.adminUrl }));
    });
    after(async () => {
      for (const c of [client, ...clients]) c?.close();
      await proxy?.stop();
      if (dir) await rm(dir, { recursive: true, force: true });
    });

    it('acquire, held for others, release', async () => {
      const a = await acquireLock(client, { holder: 'alice at host:1', ttlMs: 60_000 });
      assert.ok(isLock(a));
      assert.equal(a.holder, 'alice_at_host:1');
      const info = await readLock(client);
      assert.equal(info?.holder, 'alice_at_host:1');
      assert.equal(info?.token, a.token);
      const b = await acquireLock(clients[0]!, { holder: 'bob', ttlMs: 60_000 });
      assert.ok(!isLock(b));
      assert.equal(b.heldBy, 'alice_at_host:1');
      assert.equal(b.expiresAt, a.expiresAt);
      assert.equal(await a.release(), true);
      assert.equal(await readLock(client), undefined);
      assert.equal(await a.release(), false, 'a second release is a no-op');
      const c = await acquireLock(clients[0]!, { holder: 'bob', ttlMs: 60_000 });
      assert.ok(isLock(c));
      assert.equal(await c.release(), true);
    });

    it('concurrent acquirers: exactly one wins', async () => {
      for (let round = 0; round < 5; round++) {
        const results = await Promise.all(
          clients.map((c, i) => acquireLock(c, { holder: `applier-${i}`, ttlMs: 60_000 })),
        );
        const winners = results.filter(isLock);
        assert.equal(winners.length, 1, `round ${round}: ${winners.length} winners`);
        for (const r of results) if (!isLock(r)) assert.equal(r.heldBy, winners[0]!.holder);
        assert.equal(await winners[0]!.release(), true);
      }
    });

    it('an expired lock is taken over; the old holder’s release then leaves the new lock alone', async () => {
      const old = await acquireLock(client, { holder: 'old', ttlMs: 1 });
      assert.ok(isLock(old));
      await new Promise((r) => setTimeout(r, 5));
      const fresh = await acquireLock(clients[0]!, { holder: 'new', ttlMs: 60_000 });
      assert.ok(isLock(fresh), 'took over the expired lock');
      assert.equal((await readLock(client))?.holder, 'new');
      assert.equal(await old.release(), false, 'no longer ours');
      assert.equal((await readLock(client))?.token, fresh.token, 'the new lock survived');
      assert.equal(await fresh.release(), true);
    });

    it('concurrent takeovers of one expired lock: exactly one wins', async () => {
      for (let round = 0; round < 3; round++) {
        const old = await acquireLock(client, { holder: 'old', ttlMs: 1 });
        assert.ok(isLock(old));
        await new Promise((r) => setTimeout(r, 5));
        const results = await Promise.all(
          clients.map((c, i) => acquireLock(c, { holder: `taker-${i}`, ttlMs: 60_000 })),
        );
        const winners = results.filter(isLock);
        assert.equal(winners.length, 1, `round ${round}: ${winners.length} winners`);
        assert.equal((await readLock(client))?.token, winners[0]!.token);
        assert.equal(await winners[0]!.release(), true);
      }
    });

    it('a release or takeover that died half-way is left alone until expiry plus grace', async () => {
      const now = Date.now();
      // an owner that removed its token and then died
      const dead = await acquireLock(client, { holder: 'dead', ttlMs: 1000 });
      assert.ok(isLock(dead));
      await client.send({
        method: 'DELETE',
        path: `/api/v1/rulelists/${encodeName(LOCK_NAME)}/rules/${encodeName(`token=${dead.token}`)}`,
      });
      const early = await acquireLock(clients[0]!, {
        holder: 'x',
        ttlMs: 60_000,
        now: () => now + 5000,
        graceMs: 10_000,
      });
      assert.ok(!isLock(early), 'within the grace period');
      const late = await acquireLock(clients[0]!, {
        holder: 'x',
        ttlMs: 60_000,
        now: () => now + 20_000,
        graceMs: 10_000,
      });
      assert.ok(isLock(late), 'after expiry + grace');
      assert.equal(await late.release(), true);
    });
  });
}
