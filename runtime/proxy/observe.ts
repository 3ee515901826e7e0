// Observe (DESIGN §4.1): read one proxy's live objects through the per-kind collections — never
// `GET /api/v1/config`, which fails in strict mode while sessions with chains are live (facts §6)
// — with endpoints per cluster from `GET /clusters?recursive=true`, then normalise.
import type { LiveState } from '../reconcile/types.ts';
import { isProxyError, type ProxyClient } from './client.ts';
import { fingerprintOf, normaliseLive, type RawLive } from './normalise.ts';

export { LOCK_NAME } from './normalise.ts';

export interface ObserveOptions {
  readonly proxy: string;
  readonly adminUrl: string;
  /** things the caller should show but that do not fail the observation */
  readonly onWarning?: (message: string) => void;
}

const PATHS = {
  listeners: '/api/v1/listeners',
  clusters: '/api/v1/clusters?recursive=true',
  rulelists: '/api/v1/rulelists',
  rules: '/api/v1/rules',
  routes: '/api/v1/routes',
  sessions: '/api/v1/sessions',
} as const;

async function list(client: ProxyClient, path: string): Promise<unknown[]> {
  const v = await client.get<unknown>(path);
  if (!Array.isArray(v))
    throw new Error(`GET ${path}: expected a JSON array, got ${v === null ? 'null' : typeof v}`);
  return v;
}

/** Strict mode: a live session with an ingress/egress chain makes the session list fail response validation. */
function isResponseValidationFailure(e: unknown): boolean {
  return (
    isProxyError(e, 'rejected') &&
    e.status === 422 &&
    /Response validation failed/i.test(e.proxyMessage ?? '')
  );
}

export async function readRaw(
  client: ProxyClient,
  opts: Pick<ObserveOptions, 'onWarning'> = {},
): Promise<RawLive> {
  const [listeners, clusters, rulelists, rules, routes, sessions] = await Promise.all([
    list(client, PATHS.listeners),
    list(client, PATHS.clusters),
    list(client, PATHS.rulelists),
    list(client, PATHS.rules),
    list(client, PATHS.routes),
    list(client, PATHS.sessions).catch((e: unknown) => {
      if (!isResponseValidationFailure(e)) throw e;
      opts.onWarning?.(
        'the proxy runs in strict mode and cannot list its sessions while a session with an ingress/egress chain is live (facts §6): sessions and zombie listeners are unknown',
      );
      return undefined;
    }),
  ]);
  return { listeners, clusters, rulelists, rules, routes, sessions };
}

export async function observe(client: ProxyClient, opts: ObserveOptions): Promise<LiveState> {
  const n = normaliseLive(await readRaw(client, opts));
  return {
    proxy: opts.proxy,
    adminUrl: opts.adminUrl,
    ours: n.ours,
    theirs: n.theirs,
    sessions: n.sessions,
    zombies: n.zombies,
    fingerprint: fingerprintOf(n),
  };
}
