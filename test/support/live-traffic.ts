// Long-lived sessions for watching what a change does to traffic already flowing: a UDP or TCP
// client that sends a numbered payload every ~50 ms on ONE socket (one l7mp session) and records
// every reply with its tag (the echo servers of traffic.ts answer `tag + payload`). A test marks a
// point in time, makes its change, then asks what came back since the mark and from whom.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createConnection, type Socket } from 'node:net';
import { LOOPBACK } from './traffic.ts';

/** What came back after a mark: replies counted per tag. */
export interface Tally {
  readonly total: number;
  readonly byTag: Readonly<Record<string, number>>;
}

export interface LiveClient {
  /** e.g. `UDP 127.0.0.1:18250 → 127.0.0.1:18211` */
  readonly what: string;
  readonly localPort: number;
  /** payloads sent so far */
  sent(): number;
  /** replies so far (a position for `since`) */
  mark(): number;
  /** the replies after `mark` (default: all) */
  since(mark?: number): Tally;
  /** resolves with the tally once `n` replies arrived after `mark`; rejects after `timeoutMs` */
  waitFor(n: number, opts?: { mark?: number; timeoutMs?: number }): Promise<Tally>;
  /** TCP: the connection was closed or failed (a UDP client never ends by itself) */
  ended(): boolean;
  close(): Promise<void>;
}

const PAYLOAD = /([^@;]*)@(\d+);/g;

/**
 * Splits what arrived into `tag@seq;` replies; returns what is left of an incomplete one. A byte
 * stream may merge several replies into one read, and the backend may have read several payloads
 * as one chunk (then only the first is tagged: the others carry the same tag).
 */
function parseReplies(text: string, onReply: (tag: string) => void): string {
  let last = '';
  let end = 0;
  for (const m of text.matchAll(PAYLOAD)) {
    const tag = m[1] ?? '';
    if (tag) last = tag;
    onReply(tag || last || '(untagged)');
    end = (m.index ?? 0) + m[0].length;
  }
  return text.slice(end);
}

class Recorder {
  readonly tags: string[] = [];
  private waiters = new Set<() => void>();
  add(tag: string): void {
    this.tags.push(tag);
    for (const w of this.waiters) w();
  }
  tally(from = 0): Tally {
    const byTag: Record<string, number> = {};
    for (const t of this.tags.slice(from)) byTag[t] = (byTag[t] ?? 0) + 1;
    return { total: this.tags.length - from, byTag };
  }
  waitFor(what: string, n: number, from: number, timeoutMs: number, sent: () => number): Promise<Tally> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (this.tags.length - from < n) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve(this.tally(from));
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        const t = this.tally(from);
        reject(
          new Error(
            `${what}: ${t.total}/${n} replies within ${timeoutMs} ms (${JSON.stringify(t.byTag)}; ${sent()} sent in all, ${this.tags.length} replies in all)`,
          ),
        );
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }
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

export interface LiveUdpOptions {
  /** the listener */
  readonly port: number;
  readonly host?: string;
  /** bind to this port (a UDP singleton listener's `connect` peer); default any */
  readonly localPort?: number;
  readonly localAddress?: string;
  readonly intervalMs?: number;
}

/** A UDP client that sends `@<n>;` every `intervalMs` from one socket until closed. */
export async function openLiveUdp(o: LiveUdpOptions): Promise<LiveClient> {
  const host = o.host ?? LOOPBACK;
  const sock = createSocket({ type: 'udp4', reuseAddr: false });
  sock.on('error', () => {}); // ICMP from a gone listener must not end the test
  await new Promise<void>((res, rej) => {
    sock.once('error', rej);
    sock.bind(o.localPort ?? 0, o.localAddress ?? LOOPBACK, () => {
      sock.off('error', rej);
      res();
    });
  });
  const localPort = sock.address().port;
  const what = `UDP ${o.localAddress ?? LOOPBACK}:${localPort} → ${host}:${o.port}`;
  const rec = new Recorder();
  sock.on('message', (m) => parseReplies(m.toString(), (t) => rec.add(t)));
  let seq = 0;
  let closed = false;
  const send = () => {
    if (!closed) sock.send(`@${seq++};`, o.port, host, () => {});
  };
  send();
  const timer = setInterval(send, o.intervalMs ?? 50);
  return {
    what,
    localPort,
    sent: () => seq,
    mark: () => rec.tags.length,
    since: (m = 0) => rec.tally(m),
    waitFor: (n, w = {}) => rec.waitFor(what, n, w.mark ?? rec.tags.length, w.timeoutMs ?? 15_000, () => seq),
    ended: () => false,
    close: async () => {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      await closeUdp(sock);
    },
  };
}

export interface LiveTcpOptions {
  readonly port: number;
  readonly host?: string;
  readonly intervalMs?: number;
  /** how long to retry the connect while the listener comes up; default 20 s */
  readonly connectDeadlineMs?: number;
}

/** A TCP connection that writes `@<n>;` every `intervalMs` until closed. */
export async function openLiveTcp(o: LiveTcpOptions): Promise<LiveClient> {
  const host = o.host ?? LOOPBACK;
  const deadline = Date.now() + (o.connectDeadlineMs ?? 20_000);
  let s: Socket;
  for (;;) {
    try {
      s = await new Promise<Socket>((res, rej) => {
        const c = createConnection({ port: o.port, host });
        c.once('connect', () => {
          c.off('error', rej);
          res(c);
        });
        c.once('error', rej);
      });
      break;
    } catch (e) {
      if (Date.now() > deadline) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  const localPort = s.localPort ?? 0;
  const what = `TCP ${LOOPBACK}:${localPort} → ${host}:${o.port}`;
  const rec = new Recorder();
  let buf = '';
  let ended = false;
  let seq = 0;
  const send = () => {
    if (!ended) s.write(`@${seq++};`);
  };
  const timer = setInterval(send, o.intervalMs ?? 50);
  s.on('data', (d) => {
    buf = parseReplies(buf + d.toString(), (t) => rec.add(t));
  });
  s.on('error', () => {});
  s.on('close', () => {
    ended = true;
    clearInterval(timer);
  });
  send();
  return {
    what,
    localPort,
    sent: () => seq,
    mark: () => rec.tags.length,
    since: (m = 0) => rec.tally(m),
    waitFor: (n, w = {}) => rec.waitFor(what, n, w.mark ?? rec.tags.length, w.timeoutMs ?? 15_000, () => seq),
    ended: () => ended,
    close: async () => {
      clearInterval(timer);
      if (s.destroyed) return;
      await new Promise<void>((r) => {
        s.once('close', () => r());
        s.destroy();
      });
    },
  };
}

/**
 * One new session, briefly: opens a live UDP client, waits for `replies` replies and returns their
 * tally (so a test sees which backend a NEW session reaches), then closes it.
 */
export async function probeUdp(o: LiveUdpOptions & { replies?: number; timeoutMs?: number }): Promise<Tally> {
  const c = await openLiveUdp(o);
  try {
    return await c.waitFor(o.replies ?? 3, { mark: 0, timeoutMs: o.timeoutMs ?? 15_000 });
  } finally {
    await c.close();
  }
}

/** One new TCP connection, briefly: like `probeUdp`. */
export async function probeTcp(o: LiveTcpOptions & { replies?: number; timeoutMs?: number }): Promise<Tally> {
  const c = await openLiveTcp(o);
  try {
    return await c.waitFor(o.replies ?? 3, { mark: 0, timeoutMs: o.timeoutMs ?? 15_000 });
  } finally {
    await c.close();
  }
}
