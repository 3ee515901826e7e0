// The applied revision, recorded on the proxy itself so that anyone (`status`, another watcher)
// can read it from the proxy: a rulelist `l7c.revision` whose `rules` array holds dangling names
// (accepted by the proxy, facts §3.3) that carry the record: `["revision=<sha-or-hash>",
// "applied=<ISO time>"]`. Like the apply lock it is never reconciled (runtime/proxy/normalise.ts).
// The proxy has no update, so a new record is a delete and a create; a reader in between sees none.
import { encodeName, isAlreadyDefined, isProxyError, type ProxyClient } from '../proxy/client.ts';
import { REVISION_MARKER } from '../proxy/normalise.ts';

export { REVISION_MARKER };

export interface RevisionRecord {
  readonly revision: string;
  /** ISO time of the apply */
  readonly applied?: string;
}

const PATH = `/api/v1/rulelists/${encodeName(REVISION_MARKER)}`;

export function parseRevisionRecord(entries: readonly unknown[]): RevisionRecord | undefined {
  const get = (k: string) =>
    entries.find((e): e is string => typeof e === 'string' && e.startsWith(`${k}=`))?.slice(k.length + 1);
  const revision = get('revision');
  if (revision === undefined) return undefined;
  const applied = get('applied');
  return { revision, ...(applied !== undefined ? { applied } : {}) };
}

/** The proxy's record, or undefined when it has none (never written, or the proxy restarted). */
export async function readRevision(client: ProxyClient): Promise<RevisionRecord | undefined> {
  try {
    const rl = await client.get<{ rules?: unknown }>(PATH);
    return parseRevisionRecord(Array.isArray(rl?.rules) ? rl.rules : []);
  } catch (e) {
    if (isProxyError(e, 'not-found')) return undefined;
    throw e;
  }
}

/** Replaces the record; returns the number of REST calls it made. */
export async function writeRevision(client: ProxyClient, record: RevisionRecord): Promise<number> {
  const body = {
    rulelist: {
      name: REVISION_MARKER,
      rules: [`revision=${record.revision}`, `applied=${record.applied ?? new Date().toISOString()}`],
    },
  };
  let calls = 0;
  for (let attempt = 0; ; attempt++) {
    calls++;
    try {
      await client.send({ method: 'DELETE', path: PATH });
    } catch (e) {
      if (!isProxyError(e, 'not-found')) throw e;
    }
    calls++;
    try {
      await client.send({ method: 'POST', path: '/api/v1/rulelists', body });
      return calls;
    } catch (e) {
      // someone else wrote one in between: theirs goes, ours is the newer apply
      if (!isAlreadyDefined(e) || attempt >= 2) throw e;
    }
  }
}

/** After an apply outside the watcher (`apply --ref`): record `revision` on the proxies that converged. */
export async function recordApplied(
  clientFor: (proxy: string) => ProxyClient,
  proxies: readonly string[],
  revision: string,
): Promise<{ proxy: string; error?: string }[]> {
  const applied = new Date().toISOString();
  return Promise.all(
    proxies.map(async (proxy) => {
      try {
        await writeRevision(clientFor(proxy), { revision, applied });
        return { proxy };
      } catch (e) {
        return { proxy, error: e instanceof Error ? e.message : String(e) };
      }
    }),
  );
}
