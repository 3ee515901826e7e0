// A per-proxy apply lock. The proxy has no locks or transactions, but its duplicate-name check on
// create is atomic (one event-loop turn: check, then push), so "create the rulelist `l7c.lock`" is
// a test-and-set. The lock's `rules` array holds dangling rule names (accepted, facts §3.3) that
// carry its state: `["expires=<ISO>", "holder=<holder>", "token=<random>"]`.
//
// Removing one named entry from a rulelist (`DELETE /rulelists/l7c.lock/rules/<entry>`) is atomic
// too — it fails with "No rule … on rulelist" once the entry is gone — so it serves as a
// compare-and-delete: whoever removes the last entry owns deleting the lock.
// - release: remove our own `token=` entry (fails if the lock was taken over), then delete the list;
// - take over an expired lock: remove its last entry (only one taker succeeds), delete, create anew.
// A lock whose token is gone is a release or takeover in progress; it is left alone until its
// expiry plus a grace period (then its owner is presumed dead and the next entry is claimed).
//
// Expiry times are compared with this machine's clock: clocks of appliers must roughly agree.
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { encodeName, isAlreadyDefined, isProxyError, type ProxyClient } from './client.ts';
import { LOCK_NAME } from './normalise.ts';

export { LOCK_NAME };

export interface Lock {
  readonly holder: string;
  readonly token: string;
  readonly expiresAt: string;
  /** true if the lock was still ours and is now gone; false if it had expired and been taken over */
  release(): Promise<boolean>;
}

export interface LockHeld {
  readonly heldBy: string;
  readonly expiresAt: string;
}

export interface AcquireLockOptions {
  /** who is asking, shown to others (whitespace becomes `_`) */
  readonly holder: string;
  readonly ttlMs: number;
  /** a lock without its token (release or takeover in progress) is claimable this long after expiry; default 30 s */
  readonly graceMs?: number;
  /** for tests */
  readonly now?: () => number;
}

export interface LockInfo {
  readonly entries: readonly string[];
  readonly holder?: string;
  readonly token?: string;
  /** epoch ms; undefined when missing or unreadable */
  readonly expires?: number;
  readonly expiresAt?: string;
}

const LOCK_PATH = `/api/v1/rulelists/${encodeName(LOCK_NAME)}`;

/** `host:pid`, for callers with nothing better to say */
export function defaultHolder(): string {
  return `${hostname()}:${process.pid}`;
}

export function parseLock(entries: readonly string[]): LockInfo {
  const get = (k: string) => entries.find((e) => e.startsWith(`${k}=`))?.slice(k.length + 1);
  const expiresAt = get('expires');
  const t = expiresAt === undefined ? NaN : Date.parse(expiresAt);
  const holder = get('holder');
  const token = get('token');
  return {
    entries,
    ...(holder !== undefined ? { holder } : {}),
    ...(token !== undefined ? { token } : {}),
    ...(Number.isFinite(t) ? { expires: t } : {}),
    ...(expiresAt !== undefined ? { expiresAt } : {}),
  };
}

/** The current lock, or undefined when there is none. */
export async function readLock(client: ProxyClient): Promise<LockInfo | undefined> {
  try {
    const rl = await client.get<{ rules?: unknown }>(LOCK_PATH);
    const rules = Array.isArray(rl?.rules) ? rl.rules.filter((r): r is string => typeof r === 'string') : [];
    return parseLock(rules);
  } catch (e) {
    if (isProxyError(e, 'not-found')) return undefined;
    throw e;
  }
}

const held = (info: LockInfo | undefined): LockHeld => ({
  heldBy: info?.holder ?? (info ? 'unknown (a lock without a holder)' : 'unknown'),
  expiresAt: info?.expiresAt ?? 'unknown',
});

async function ignoreNotFound(p: Promise<unknown>): Promise<boolean> {
  try {
    await p;
    return true;
  } catch (e) {
    if (isProxyError(e, 'not-found')) return false;
    throw e;
  }
}

/** Removes one entry of the lock; false when someone else removed it first. */
function claim(client: ProxyClient, entry: string): Promise<boolean> {
  return ignoreNotFound(client.send({ method: 'DELETE', path: `${LOCK_PATH}/rules/${encodeName(entry)}` }));
}

export async function acquireLock(client: ProxyClient, opts: AcquireLockOptions): Promise<Lock | LockHeld> {
  const now = opts.now ?? Date.now;
  const grace = opts.graceMs ?? 30_000;
  const holder = opts.holder.replace(/\s+/g, '_') || 'unknown';
  let last: LockInfo | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    const token = randomBytes(12).toString('hex');
    const expiresAt = new Date(now() + opts.ttlMs).toISOString();
    try {
      await client.send({
        method: 'POST',
        path: '/api/v1/rulelists',
        body: {
          rulelist: {
            name: LOCK_NAME,
            rules: [`expires=${expiresAt}`, `holder=${holder}`, `token=${token}`],
          },
        },
      });
      return {
        holder,
        token,
        expiresAt,
        release: async () => {
          if (!(await claim(client, `token=${token}`))) return false; // taken over after expiry
          await ignoreNotFound(client.send({ method: 'DELETE', path: LOCK_PATH }));
          return true;
        },
      };
    } catch (e) {
      if (!isAlreadyDefined(e)) throw e;
    }

    last = await readLock(client);
    if (!last) continue; // released in between: try again
    const t = now();
    const expired = last.expires === undefined || last.expires <= t;
    const abandoned = last.token === undefined && (last.expires === undefined || last.expires + grace <= t);
    if (!(last.token !== undefined ? expired : abandoned)) return held(last);

    const entry = last.entries[last.entries.length - 1];
    if (entry === undefined) {
      // Nothing left to claim (an owner died between claiming and deleting, twice): delete as is.
      await ignoreNotFound(client.send({ method: 'DELETE', path: LOCK_PATH }));
      continue;
    }
    // Another taker (or the releasing owner) got there first: look again.
    if (!(await claim(client, entry))) continue;
    await ignoreNotFound(client.send({ method: 'DELETE', path: LOCK_PATH }));
  }
  return held((await readLock(client)) ?? last);
}
