// The embedded default (`l7mp-compile up`): every Proxy of the repo whose admin URL is on loopback
// is started as a real @l7mp/l7mp child process with only its REST controller, so that plan and
// apply then build the whole configuration through the API, exactly as against remote proxies.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Proxy } from '../compiler/model/types.ts';
import { controllerListener } from '../compiler/stages/emit.ts';
import { adminPort } from '../compiler/stages/ports.ts';
import { startLocalProxy, type LocalProxy } from './local-proxy.ts';
import { mapBounded } from './reconcile/pool.ts';

export interface EmbeddedProxy {
  readonly proxy: string;
  readonly local: LocalProxy;
}

export interface Embedded {
  readonly started: readonly EmbeddedProxy[];
  /** Proxies not started because their admin URL is not on loopback */
  readonly skipped: readonly string[];
  stop(): Promise<void>;
}

export function isLoopbackUrl(url: string): boolean {
  try {
    const h = new URL(url).hostname;
    return h === 'localhost' || h === '[::1]' || h === '::1' || /^127\./.test(h);
  } catch {
    return false;
  }
}

export async function startEmbedded(
  proxies: readonly Proxy[],
  opts: { logLevel?: string } = {},
): Promise<Embedded> {
  const dir = mkdtempSync(join(tmpdir(), 'l7mp-compile-up-'));
  const local = proxies.filter((p) => isLoopbackUrl(p.admin.url));
  const skipped = proxies.filter((p) => !isLoopbackUrl(p.admin.url)).map((p) => p.id.name);
  const started: EmbeddedProxy[] = [];
  const stop = async () => {
    await Promise.all(started.map((s) => s.local.stop()));
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await mapBounded(local, 4, async (p) => {
      const configPath = join(dir, `${p.id.name}.${p.id.namespace}.json`);
      const config = {
        admin: { log_level: opts.logLevel ?? 'warn' },
        listeners: [controllerListener(adminPort(p.admin.url))],
      };
      writeFileSync(configPath, JSON.stringify(config));
      started.push({
        proxy: p.id.name,
        local: await startLocalProxy({ configPath, adminUrl: p.admin.url.replace(/\/+$/, '') }),
      });
    });
  } catch (e) {
    await stop();
    throw e;
  }
  return { started, skipped, stop };
}
