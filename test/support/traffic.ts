// Real peers for real traffic on loopback: echo servers (UDP, TCP, WebSocket, UNIX socket) that tag
// their replies, and clients that send payloads one at a time and wait for each reply. Everything
// has a timeout and a `close()`, so a test can always clean up.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { mkdtemp, rm, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocket, WebSocketServer } from 'ws';

export const LOOPBACK = '127.0.0.1';

export interface EchoServer {
  /** what the server received, in order (one entry per datagram, message or chunk) */
  readonly received: string[];
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** `p`'s value, or undefined after `ms`; the timer is cleared either way (no dangling timers). */
async function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Ports that were free a moment ago (bound to port 0 and released): TCP and UDP both checked. */
export async function freePorts(n: number): Promise<number[]> {
  const out: number[] = [];
  const held: { close(cb: () => void): void }[] = [];
  try {
    while (out.length < n) {
      const srv = createServer();
      await new Promise<void>((res, rej) => srv.once('error', rej).listen(0, LOOPBACK, () => res()));
      held.push(srv);
      const port = (srv.address() as { port: number }).port;
      const udp = createSocket('udp4');
      const ok = await new Promise<boolean>((res) => {
        udp.once('error', () => res(false));
        udp.bind(port, LOOPBACK, () => res(true));
      });
      held.push(udp);
      if (ok) out.push(port);
    }
  } finally {
    await Promise.all(held.map((h) => new Promise<void>((r) => h.close(() => r()))));
  }
  return out;
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, rej) => {
      timer = setTimeout(() => rej(new Error(`timed out after ${ms} ms: ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

// ---------------------------------------------------------------------------------------------
// UDP

/** A UDP server that answers every datagram with `tag + datagram`. */
export async function udpEchoServer(opts: { port: number; host?: string; tag: string }): Promise<EchoServer> {
  const sock = createSocket('udp4');
  const received: string[] = [];
  sock.on('message', (msg, rinfo) => {
    received.push(msg.toString());
    sock.send(Buffer.concat([Buffer.from(opts.tag), msg]), rinfo.port, rinfo.address);
  });
  await new Promise<void>((res, rej) => {
    sock.once('error', rej);
    sock.bind(opts.port, opts.host ?? LOOPBACK, () => {
      sock.off('error', rej);
      res();
    });
  });
  sock.on('error', () => {}); // ICMP errors towards a gone peer must not crash the test
  return { received, close: () => closeUdp(sock) };
}

function closeUdp(sock: UdpSocket): Promise<void> {
  return new Promise((r) => {
    try {
      sock.close(() => r());
    } catch {
      r(); // already closed
    }
  });
}

export interface RoundTripOptions {
  host?: string;
  /** how long to wait for each reply before re-sending; default 1500 ms */
  replyTimeoutMs?: number;
  /** how long the first payload is re-sent while the path comes up; default 20 s */
  firstDeadlineMs?: number;
  /** re-sends of every later payload before giving up; default 3 */
  retries?: number;
  /** does this reply answer this payload? default: the reply ends with the payload */
  matches?: (payload: string, reply: string) => boolean;
}

const defaultMatch = (payload: string, reply: string) => reply.endsWith(payload);

/**
 * Lock-step request/response over some message transport: sends each payload, waits for the reply
 * that answers it (re-sending on timeout: the first one until the path is up, later ones a few
 * times), and returns the replies in order. Replies that answer nothing pending (duplicates of a
 * re-sent payload) are ignored, so the result has exactly one reply per payload.
 */
async function lockStep(
  payloads: readonly string[],
  send: (p: string) => void,
  onReply: (cb: (reply: string) => void) => void,
  o: RoundTripOptions,
  what: string,
): Promise<string[]> {
  const match = o.matches ?? defaultMatch;
  const replyTimeout = o.replyTimeoutMs ?? 1500;
  let waiting: { payload: string; resolve: (r: string) => void } | undefined;
  onReply((reply) => {
    if (waiting && match(waiting.payload, reply)) {
      const w = waiting;
      waiting = undefined;
      w.resolve(reply);
    }
  });
  const replies: string[] = [];
  for (const [i, payload] of payloads.entries()) {
    const got = new Promise<string>((resolve) => (waiting = { payload, resolve }));
    const deadline = i === 0 ? Date.now() + (o.firstDeadlineMs ?? 20_000) : Infinity;
    let attempts = 0;
    let reply: string | undefined;
    while (reply === undefined) {
      send(payload);
      attempts++;
      reply = await within(got, replyTimeout);
      if (reply !== undefined) break;
      if (i === 0 ? Date.now() > deadline : attempts > (o.retries ?? 3))
        throw new Error(
          `${what}: no reply to ${JSON.stringify(payload)} after ${attempts} attempts (got ${replies.length}/${payloads.length} replies so far)`,
        );
    }
    replies.push(reply);
  }
  return replies;
}

/** Sends each payload as a UDP datagram from one socket (one l7mp session) and collects the replies. */
export async function udpRoundTrip(
  port: number,
  payloads: readonly string[],
  o: RoundTripOptions = {},
): Promise<string[]> {
  const host = o.host ?? LOOPBACK;
  // Not connect()ed: ICMP port-unreachable while the proxy starts must not error the socket.
  const sock = createSocket('udp4');
  sock.on('error', () => {});
  await new Promise<void>((res) => sock.bind(0, LOOPBACK, () => res()));
  try {
    return await lockStep(
      payloads,
      (p) => sock.send(p, port, host),
      (cb) => sock.on('message', (m) => cb(m.toString())),
      o,
      `UDP ${host}:${port}`,
    );
  } finally {
    await closeUdp(sock);
  }
}

// ---------------------------------------------------------------------------------------------
// JSONSocket over UDP (facts §5): the first datagram is a JSON header with JSONSocketVersion 1; the
// listener answers with a status header, after which datagrams are the session's payload.

export interface JsonSocketStatus {
  JSONSocketVersion: number;
  JSONSocketStatus: number;
  JSONSocketMessage?: string;
  [k: string]: unknown;
}

export interface JsonSocketUdpClient {
  /** the status header the listener answered with */
  readonly status: JsonSocketStatus;
  /** the local port (identifies the session at the proxy) */
  readonly localPort: number;
  /** datagrams received after the status header */
  readonly received: string[];
  /** JSONSocket request headers that arrived as media (a peer's re-sent header), not in `received` */
  readonly strayHeaders: string[];
  send(payload: string): void;
  /** waits until `received` has at least n entries */
  waitFor(n: number, timeoutMs?: number): Promise<string[]>;
  roundTrip(payloads: readonly string[], o?: RoundTripOptions): Promise<string[]>;
  close(): Promise<void>;
}

/**
 * Opens a JSONSocket session over UDP: sends the header (re-sent until a status header comes back,
 * as the listener may still be starting; the wait is long, because a header re-sent after the
 * listener took the first one is passed on as media) and resolves with the status, whatever it is.
 */
export async function jsonSocketUdpConnect(
  port: number,
  header: Record<string, unknown>,
  o: { host?: string; replyTimeoutMs?: number; deadlineMs?: number } = {},
): Promise<JsonSocketUdpClient> {
  const host = o.host ?? LOOPBACK;
  const sock = createSocket('udp4');
  sock.on('error', () => {});
  await new Promise<void>((res) => sock.bind(0, LOOPBACK, () => res()));
  const received: string[] = [];
  let status: JsonSocketStatus | undefined;
  let onStatus: (() => void) | undefined;
  const listeners = new Set<(m: string) => void>();
  const strayHeaders: string[] = [];
  sock.on('message', (m) => {
    const text = m.toString();
    let h: Partial<JsonSocketStatus> | undefined;
    try {
      h = text.startsWith('{"JSONSocketVersion"') ? (JSON.parse(text) as JsonSocketStatus) : undefined;
    } catch {
      /* media that merely looks like a header */
    }
    if (!status && typeof h?.JSONSocketStatus === 'number') {
      status = h as JsonSocketStatus;
      onStatus?.();
      return;
    }
    // A request header arriving as media: a peer re-sent its header before its status came back,
    // and the proxy passed the copy on as payload. Kept apart so tests see only real media.
    if (h && h.JSONSocketStatus === undefined) {
      strayHeaders.push(text);
      return;
    }
    received.push(text);
    for (const l of listeners) l(text);
  });
  const close = () => closeUdp(sock);
  try {
    const body = JSON.stringify({ JSONSocketVersion: 1, ...header });
    const gotStatus = new Promise<void>((r) => (onStatus = r));
    const deadline = Date.now() + (o.deadlineMs ?? 20_000);
    while (!status) {
      sock.send(body, port, host);
      await within(gotStatus, o.replyTimeoutMs ?? 5000);
      if (!status && Date.now() > deadline)
        throw new Error(`JSONSocket ${host}:${port}: no status header within ${o.deadlineMs ?? 20_000} ms`);
    }
  } catch (e) {
    await close();
    throw e;
  }
  const localPort = sock.address().port;
  return {
    status: status!,
    localPort,
    received,
    strayHeaders,
    send: (p) => sock.send(p, port, host),
    waitFor: (n, timeoutMs = 10_000) =>
      withTimeout(
        new Promise<string[]>((res) => {
          const check = () => {
            if (received.length >= n) {
              listeners.delete(check);
              res(received.slice());
            }
          };
          listeners.add(check);
          check();
        }),
        timeoutMs,
        `JSONSocket ${host}:${port}: waiting for ${n} datagrams (have ${received.length})`,
      ),
    roundTrip: (payloads, ro = {}) =>
      lockStep(
        payloads,
        (p) => sock.send(p, port, host),
        (cb) => listeners.add(cb),
        { firstDeadlineMs: 5000, ...ro },
        `JSONSocket ${host}:${port}`,
      ),
    close,
  };
}

// ---------------------------------------------------------------------------------------------
// TCP and UNIX-domain sockets (byte streams)

function streamEchoServer(srv: Server, tag: string, received: string[], sockets: Set<Socket>) {
  srv.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    s.on('data', (d) => {
      received.push(d.toString());
      s.write(Buffer.concat([Buffer.from(tag), d]));
    });
  });
}

function closeServer(srv: Server, sockets: Set<Socket>): Promise<void> {
  for (const s of sockets) s.destroy();
  return new Promise((r) => srv.close(() => r()));
}

/** A TCP server that answers every chunk it reads with `tag + chunk`. */
export async function tcpEchoServer(opts: { port: number; host?: string; tag: string }): Promise<EchoServer> {
  const srv = createServer();
  const received: string[] = [];
  const sockets = new Set<Socket>();
  streamEchoServer(srv, opts.tag, received, sockets);
  await new Promise<void>((res, rej) =>
    srv.once('error', rej).listen(opts.port, opts.host ?? LOOPBACK, () => res()),
  );
  return { received, close: () => closeServer(srv, sockets) };
}

export interface UnixEchoServer extends EchoServer {
  readonly path: string;
}

/**
 * A UNIX-domain stream socket server answering every chunk with `tag + chunk`. Without `path` the
 * socket file lives in a fresh temp dir (removed on close); with `path`, a stale file there is
 * removed first.
 */
export async function unixEchoServer(opts: { tag: string; path?: string }): Promise<UnixEchoServer> {
  let dir: string | undefined;
  let path = opts.path;
  if (!path) {
    dir = await mkdtemp(join(tmpdir(), 'l7mp-uds-'));
    path = join(dir, 'echo.sock');
  } else await unlink(path).catch(() => {});
  const srv = createServer();
  const received: string[] = [];
  const sockets = new Set<Socket>();
  streamEchoServer(srv, opts.tag, received, sockets);
  await new Promise<void>((res, rej) => srv.once('error', rej).listen(path, () => res()));
  return {
    path,
    received,
    close: async () => {
      await closeServer(srv, sockets);
      await unlink(path).catch(() => {});
      if (dir) await rm(dir, { recursive: true, force: true });
    },
  };
}

async function connectStream(
  target: { port: number; host: string } | { path: string },
  deadlineMs: number,
): Promise<Socket> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    try {
      return await new Promise<Socket>((res, rej) => {
        const s = createConnection(target as never);
        s.once('connect', () => {
          s.off('error', rej);
          res(s);
        });
        s.once('error', rej);
      });
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await sleep(200);
    }
  }
}

/**
 * Connects (retrying while the listener comes up), writes each payload and waits until the bytes
 * read since that write satisfy `matches` (default: they end with the payload); returns what was
 * read per payload. Lock-step, so a byte stream's chunks stay attributable.
 */
export async function streamRoundTrip(
  target: { port: number; host?: string } | { path: string },
  payloads: readonly string[],
  o: {
    connectDeadlineMs?: number;
    replyTimeoutMs?: number;
    matches?: (payload: string, got: string) => boolean;
  } = {},
): Promise<string[]> {
  const t = 'path' in target ? target : { port: target.port, host: target.host ?? LOOPBACK };
  const what = 'path' in t ? `UNIX ${t.path}` : `TCP ${t.host}:${t.port}`;
  const match = o.matches ?? defaultMatch;
  const s = await connectStream(t, o.connectDeadlineMs ?? 20_000);
  let buf = '';
  let notify: (() => void) | undefined;
  let closed = false;
  s.on('data', (d) => {
    buf += d.toString();
    notify?.();
  });
  s.on('close', () => {
    closed = true;
    notify?.();
  });
  s.on('error', () => {});
  try {
    const out: string[] = [];
    for (const p of payloads) {
      buf = '';
      const done = new Promise<void>((res, rej) => {
        notify = () => {
          if (match(p, buf)) res();
          else if (closed)
            rej(
              new Error(
                `${what}: connection closed before the reply to ${JSON.stringify(p)} (got ${JSON.stringify(buf)})`,
              ),
            );
        };
      });
      s.write(p);
      await withTimeout(
        done,
        o.replyTimeoutMs ?? 10_000,
        `${what}: reply to ${JSON.stringify(p)} (got ${JSON.stringify(buf)})`,
      );
      out.push(buf);
    }
    return out;
  } finally {
    s.destroy();
  }
}

export const tcpRoundTrip = (
  port: number,
  payloads: readonly string[],
  o: Parameters<typeof streamRoundTrip>[2] & { host?: string } = {},
) => streamRoundTrip({ port, host: o.host ?? LOOPBACK }, payloads, o);

export const unixRoundTrip = (
  path: string,
  payloads: readonly string[],
  o: Parameters<typeof streamRoundTrip>[2] = {},
) => streamRoundTrip({ path }, payloads, o);

// ---------------------------------------------------------------------------------------------
// WebSocket

/** A WebSocket server answering every message with `tag + message`. */
export async function wsEchoServer(opts: { port: number; host?: string; tag: string }): Promise<EchoServer> {
  const wss = new WebSocketServer({ port: opts.port, host: opts.host ?? LOOPBACK });
  await new Promise<void>((res, rej) => {
    wss.once('listening', () => res());
    wss.once('error', rej);
  });
  const received: string[] = [];
  wss.on('connection', (ws) => {
    ws.on('error', () => {});
    ws.on('message', (data) => {
      const text = Buffer.isBuffer(data) ? data.toString() : Buffer.concat(data as Buffer[]).toString();
      received.push(text);
      ws.send(`${opts.tag}${text}`);
    });
  });
  return {
    received,
    close: () =>
      new Promise<void>((r) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => r());
      }),
  };
}

async function wsConnect(url: string, deadlineMs: number): Promise<WebSocket> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    try {
      return await new Promise<WebSocket>((res, rej) => {
        const ws = new WebSocket(url, { handshakeTimeout: 5000 });
        ws.once('open', () => {
          ws.off('error', rej);
          res(ws);
        });
        ws.once('error', rej);
      });
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await sleep(200);
    }
  }
}

/** Opens one WebSocket (retrying while the listener comes up), then lock-step messages and replies. */
export async function wsRoundTrip(
  url: string,
  payloads: readonly string[],
  o: RoundTripOptions & { connectDeadlineMs?: number } = {},
): Promise<string[]> {
  const ws = await wsConnect(url, o.connectDeadlineMs ?? 20_000);
  ws.on('error', () => {});
  try {
    return await lockStep(
      payloads,
      (p) => ws.send(p),
      (cb) =>
        ws.on('message', (d) =>
          cb(Buffer.isBuffer(d) ? d.toString() : Buffer.concat(d as Buffer[]).toString()),
        ),
      { firstDeadlineMs: o.replyTimeoutMs ?? 10_000, replyTimeoutMs: 10_000, retries: 0, ...o },
      `WebSocket ${url}`,
    );
  } finally {
    ws.terminate();
  }
}
