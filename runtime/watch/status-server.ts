// The watcher's HTTP endpoints (node:http): GET /healthz, GET /status (JSON), GET /metrics
// (Prometheus text), POST /trigger (a webhook: fetch now and pass). Meant for a loopback or
// cluster-internal address: there is no authentication.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Controller } from './controller.ts';

export interface StatusServer {
  /** `http://host:port` */
  readonly url: string;
  close(): Promise<void>;
}

/** `127.0.0.1:9090`, `:9090` (all interfaces), `[::1]:9090` */
export function parseListen(addr: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(addr.trim());
  if (!m) return undefined;
  const port = Number(m[3]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) return undefined;
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

function send(res: ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

const json = (res: ServerResponse, status: number, v: unknown) =>
  send(res, status, 'application/json; charset=utf-8', `${JSON.stringify(v, null, 2)}\n`);

async function handle(c: Controller, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://x').pathname;
  req.resume(); // a webhook body (GitHub, GitLab, …) is not needed: any POST means "look now"
  const route = `${req.method ?? 'GET'} ${path}`;
  switch (route) {
    case 'GET /healthz':
      return send(res, 200, 'text/plain; charset=utf-8', 'ok\n');
    case 'GET /status':
      return json(res, 200, c.status());
    case 'GET /metrics':
      return send(res, 200, c.metrics.registry.contentType, await c.metrics.registry.metrics());
    case 'POST /trigger':
      try {
        await c.trigger();
        return json(res, 202, { triggered: true });
      } catch (e) {
        return json(res, 502, { triggered: false, error: e instanceof Error ? e.message : String(e) });
      }
    default:
      if (['/healthz', '/status', '/metrics', '/trigger'].includes(path))
        return json(res, 405, { error: `${req.method} not allowed on ${path}` });
      return json(res, 404, {
        error: `no such endpoint: ${path}`,
        endpoints: ['GET /healthz', 'GET /status', 'GET /metrics', 'POST /trigger'],
      });
  }
}

export async function startStatusServer(c: Controller, listen: string): Promise<StatusServer> {
  const addr = parseListen(listen);
  if (!addr) throw new Error(`--listen: expected HOST:PORT, got ${JSON.stringify(listen)}`);
  const server: Server = createServer((req, res) => {
    handle(c, req, res).catch((e: unknown) =>
      json(res, 500, { error: e instanceof Error ? e.message : String(e) }),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(addr.port, addr.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const a = server.address() as AddressInfo;
  const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
  return {
    url: `http://${host}:${a.port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
