// A UDP peer running inside a network namespace, driven by the test over stdin/stdout (one JSON
// request per line, answered by id). The test process stays in the host namespace; this file is
// both the peer (run as `nsenter --net=/run/netns/NS node --import tsx netns-peer.ts`) and the
// handle the tests use (NetnsPeer).
//
// Datagrams carry a 4-byte sequence number; receivers count datagrams, distinct sequence numbers
// and senders (`address:port`), and an echoing socket sends each datagram back to its sender.
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { repoRoot } from './examples.ts';

export interface SockStats {
  received: number;
  distinct: number;
  /** sender `address:port` → datagrams */
  sources: Record<string, number>;
  /** echoed back */
  echoed: number;
}

type Request =
  | { op: 'bind'; sock: string; address: string; port: number; echo?: boolean }
  | {
      op: 'send';
      sock: string;
      to: { address: string; port: number };
      count: number;
      rate: number;
      size?: number;
    }
  | { op: 'stats'; sock: string }
  | { op: 'reset'; sock: string };

// ---- the peer (inside the namespace) ----

interface PeerSock {
  s: Socket;
  stats: SockStats;
  seen: Set<number>;
}

function peerMain(): void {
  const socks = new Map<string, PeerSock>();
  const reply = (id: number, body: object) => process.stdout.write(`${JSON.stringify({ id, ...body })}\n`);
  const sockOf = (name: string) => {
    const s = socks.get(name);
    if (!s) throw new Error(`no socket ${name}`);
    return s;
  };
  const handle = async (r: Request): Promise<unknown> => {
    switch (r.op) {
      case 'bind': {
        const s = createSocket({ type: 'udp4' });
        const ps: PeerSock = {
          s,
          stats: { received: 0, distinct: 0, sources: {}, echoed: 0 },
          seen: new Set(),
        };
        s.on('message', (msg, rinfo) => {
          const st = ps.stats;
          st.received++;
          const from = `${rinfo.address}:${rinfo.port}`;
          st.sources[from] = (st.sources[from] ?? 0) + 1;
          if (msg.length >= 4) ps.seen.add(msg.readUInt32BE(0));
          st.distinct = ps.seen.size;
          if (r.echo) s.send(msg, rinfo.port, rinfo.address, () => st.echoed++);
        });
        await new Promise<void>((res, rej) => {
          s.once('error', rej);
          s.bind(r.port, r.address, () => {
            s.off('error', rej);
            res();
          });
        });
        s.on('error', () => {}); // ICMP errors on an unconnected socket: ignore
        socks.set(r.sock, ps);
        return {};
      }
      case 'send': {
        const { s } = sockOf(r.sock);
        const size = Math.max(4, r.size ?? 64);
        const start = process.hrtime.bigint();
        let sent = 0;
        while (sent < r.count) {
          const due = Math.min(
            r.count,
            Math.floor((Number(process.hrtime.bigint() - start) / 1e9) * r.rate) + 1,
          );
          while (sent < due) {
            const buf = Buffer.alloc(size, 0x61);
            buf.writeUInt32BE(sent, 0);
            await new Promise<void>((res) => s.send(buf, r.to.port, r.to.address, () => res()));
            sent++;
          }
          await new Promise((res) => setTimeout(res, 2));
        }
        return { sent };
      }
      case 'stats':
        return sockOf(r.sock).stats;
      case 'reset': {
        const ps = sockOf(r.sock);
        ps.stats = { received: 0, distinct: 0, sources: {}, echoed: 0 };
        ps.seen.clear();
        return {};
      }
    }
  };
  createInterface({ input: process.stdin }).on('line', (line) => {
    const { id, ...r } = JSON.parse(line) as { id: number } & Request;
    handle(r).then(
      (result) => reply(id, { result }),
      (e: Error) => reply(id, { error: e.message }),
    );
  });
  process.stdin.on('end', () => process.exit(0));
}

// ---- the handle (in the test process) ----

export class NetnsPeer {
  private nextId = 1;
  private readonly pending = new Map<number, { res: (v: unknown) => void; rej: (e: Error) => void }>();
  private stderr = '';

  private constructor(private readonly child: ChildProcess) {
    child
      .stderr!.setEncoding('utf8')
      .on('data', (d: string) => (this.stderr = (this.stderr + d).slice(-4000)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      let msg: { id: number; result?: unknown; error?: string };
      try {
        msg = JSON.parse(line);
      } catch {
        return; // (stray output)
      }
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      if (msg.error !== undefined) p.rej(new Error(`peer: ${msg.error}`));
      else p.res(msg.result);
    });
    child.once('exit', (code, signal) => {
      for (const p of this.pending.values())
        p.rej(new Error(`peer exited (${code ?? signal}): ${this.stderr}`));
      this.pending.clear();
    });
  }

  /** Starts a peer inside the namespace; it exits when this process goes away (stdin closes). */
  static async start(netns: string): Promise<NetnsPeer> {
    const child = spawn(
      'nsenter',
      [
        `--net=/run/netns/${netns}`,
        process.execPath,
        '--import',
        'tsx',
        fileURLToPath(import.meta.url),
        '--peer',
      ],
      { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    const peer = new NetnsPeer(child);
    await new Promise<void>((res, rej) => {
      child.once('spawn', () => res());
      child.once('error', rej);
    });
    return peer;
  }

  private call<T>(r: Request): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((res, rej) => {
      this.pending.set(id, { res: res as (v: unknown) => void, rej });
      this.child.stdin!.write(`${JSON.stringify({ id, ...r })}\n`);
    });
  }

  bind(sock: string, address: string, port: number, opts: { echo?: boolean } = {}): Promise<void> {
    return this.call({ op: 'bind', sock, address, port, ...(opts.echo ? { echo: true } : {}) });
  }
  /** Sends `count` datagrams (sequence numbers 0…count-1) at `rate` per second; resolves when done. */
  send(
    sock: string,
    to: { address: string; port: number },
    count: number,
    rate: number,
    size = 64,
  ): Promise<{ sent: number }> {
    return this.call({ op: 'send', sock, to, count, rate, size });
  }
  stats(sock: string): Promise<SockStats> {
    return this.call({ op: 'stats', sock });
  }
  reset(sock: string): Promise<void> {
    return this.call({ op: 'reset', sock });
  }

  /** Waits until `pred` holds for the socket's stats (or the timeout passes); returns the last stats. */
  async waitFor(sock: string, pred: (s: SockStats) => boolean, timeoutMs = 5000): Promise<SockStats> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const s = await this.stats(sock);
      if (pred(s) || Date.now() > deadline) return s;
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.stdin!.end();
    const t = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(t);
  }
}

if (process.argv.includes('--peer') && process.argv[1] === fileURLToPath(import.meta.url)) peerMain();
