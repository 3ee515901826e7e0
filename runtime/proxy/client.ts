// The REST client for one l7mp proxy (facts §1). It speaks exactly what the proxy accepts:
// `Content-Type: application/json` with no charset (node:http, not fetch, so nothing adds one),
// bodies already wrapped by the caller (`{"cluster": {...}}`), success = 200 with a JSON body, and
// every error — the proxy's `{status, message, content}` with its odd status codes (400 for "not
// found", 500 for 415/501, a stack trace object for malformed JSON), a dead port, a hung socket,
// garbage on the wire — becomes a ProxyError with a clean one-line `detail` and a `kind`.
//
// Retries: only transport failures are retried, with backoff. A GET is always safe to retry; a
// POST/DELETE is retried only when the connection was never established (nothing was sent), never
// after a reset or timeout that may have hit a request the proxy already applied.
import { request as httpRequest, Agent as HttpAgent, type IncomingMessage } from 'node:http';
import { request as httpsRequest, Agent as HttpsAgent } from 'node:https';
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve as resolvePath } from 'node:path';
import type { Call } from '../reconcile/types.ts';

export interface ProxyTls {
  /** CA certificate(s) to trust: a file path, or PEM text */
  readonly ca?: string;
  /** client certificate: a file path, or PEM text */
  readonly cert?: string;
  /** client key: a file path, or PEM text */
  readonly key?: string;
  /** skip verifying the server's certificate */
  readonly insecure?: boolean;
}

export interface ProxyClientOptions {
  /** the REST base URL, e.g. `http://127.0.0.1:1234` (a path prefix is kept) */
  readonly adminUrl: string;
  /** sent with every request, e.g. `{Authorization: 'Bearer …'}` */
  readonly headers?: Readonly<Record<string, string>>;
  readonly tls?: ProxyTls;
  /** relative TLS file paths are resolved against this; default: the current directory */
  readonly baseDir?: string;
  /** per attempt, from sending the request to the end of the response; default 10 s */
  readonly timeoutMs?: number;
  /** calls in flight at once; default 8 */
  readonly maxConcurrent?: number;
  /** extra attempts after a retriable transport failure; default 3 */
  readonly retries?: number;
  /** first backoff delay, doubled per retry (with jitter, capped at 2 s); default 100 ms */
  readonly retryDelayMs?: number;
}

export type ProxyErrorKind = 'rejected' | 'not-found' | 'transport' | 'timeout';

export interface ProxyErrorInit {
  readonly kind: ProxyErrorKind;
  readonly detail: string;
  readonly method: string;
  readonly path: string;
  readonly adminUrl: string;
  /** the HTTP status, when a response came back */
  readonly status?: number;
  /** the proxy's `message` (or the HTTP reason phrase) */
  readonly proxyMessage?: string;
  /** the proxy's raw `content`, kept for callers that need it (never shown as is) */
  readonly content?: unknown;
  /** the socket error code (ECONNREFUSED, ECONNRESET, …) */
  readonly code?: string;
  readonly attempts?: number;
  /** for POST/DELETE transport failures: the proxy may have applied the call */
  readonly maybeApplied?: boolean;
}

/** Any failed proxy call. `message` and `detail` are one line, never a stack trace. */
export class ProxyError extends Error {
  readonly kind: ProxyErrorKind;
  readonly detail: string;
  readonly status?: number;
  readonly proxyMessage?: string;
  readonly content?: unknown;
  readonly code?: string;
  readonly method: string;
  readonly path: string;
  readonly adminUrl: string;
  readonly attempts: number;
  readonly maybeApplied: boolean;

  constructor(init: ProxyErrorInit) {
    super(ProxyError.format(init));
    this.name = 'ProxyError';
    this.kind = init.kind;
    this.detail = init.detail;
    this.method = init.method;
    this.path = init.path;
    this.adminUrl = init.adminUrl;
    this.attempts = init.attempts ?? 1;
    this.maybeApplied = init.maybeApplied ?? false;
    if (init.status !== undefined) this.status = init.status;
    if (init.proxyMessage !== undefined) this.proxyMessage = init.proxyMessage;
    if (init.content !== undefined) this.content = init.content;
    if (init.code !== undefined) this.code = init.code;
  }

  private static format(i: ProxyErrorInit): string {
    const tries = (i.attempts ?? 1) > 1 ? ` (after ${i.attempts} attempts)` : '';
    const maybe = i.maybeApplied ? '; the proxy may or may not have applied it' : '';
    switch (i.kind) {
      case 'transport':
        return `${i.status !== undefined ? `HTTP ${i.status}: ` : `cannot reach ${i.adminUrl}: `}${i.detail}${tries}${maybe}`;
      case 'timeout':
        return `${i.adminUrl} did not answer in time: ${i.detail}${tries}${maybe}`;
      default:
        return `${i.status ?? ''}${i.proxyMessage ? ` ${i.proxyMessage}` : ''}: ${i.detail}`.replace(
          /^: /,
          '',
        );
    }
  }
}

export function isProxyError(e: unknown, kind?: ProxyErrorKind): e is ProxyError {
  return e instanceof ProxyError && (kind === undefined || e.kind === kind);
}

/** A 400 for a create whose name is taken (`... "x" already defined`). */
export function isAlreadyDefined(e: unknown): e is ProxyError {
  return isProxyError(e, 'rejected') && e.status === 400 && /already defined/.test(e.detail);
}

/** A name as one URL path segment: `a/b` → `a%2Fb`, `x:y?z` → `x%3Ay%3Fz` (facts §1). */
export function encodeName(name: string): string {
  return encodeURIComponent(name);
}

// ---------------------------------------------------------------------------------------------
// Turning responses into values or errors

const MAX_DETAIL = 400;

/** One clean line: no stack frames, no newlines, bounded length. */
export function oneLine(s: string): string {
  const lines = s
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l && !/^at\s/.test(l));
  let out = (lines[0] ?? '').replace(/\s+at\s+\S+\s+\(.*$/, '').replace(/\s+/g, ' ');
  // A stack flattened into one line: cut at the first frame.
  out = out.replace(/\s+at\s+(?:[\w$.<>[\]]+\s+)?\((?:file:|node:|\/).*$/, '').trim();
  return out.length > MAX_DETAIL ? `${out.slice(0, MAX_DETAIL - 1)}…` : out;
}

const STATUS_NAMES: Record<number, string> = {
  415: 'unsupported Content-Type (415)',
  501: 'operation not implemented by the proxy (501)',
};

/** The proxy's `content` (string, number, stack object, ajv error list, …) as one line. */
export function describeContent(content: unknown): string | undefined {
  if (content === undefined || content === null || content === '') return undefined;
  if (typeof content === 'string') return oneLine(content);
  if (typeof content === 'number') return STATUS_NAMES[content] ?? `code ${content}`;
  if (Array.isArray(content)) {
    // ajv errors (strict mode 422): `{dataPath, message, params}`
    const parts = content.slice(0, 3).map((e) => {
      if (e && typeof e === 'object') {
        const o = e as Record<string, unknown>;
        const where =
          typeof o.dataPath === 'string'
            ? o.dataPath
            : typeof o.instancePath === 'string'
              ? o.instancePath
              : '';
        const msg = typeof o.message === 'string' ? o.message : JSON.stringify(o);
        return oneLine(`${where ? `${where} ` : ''}${msg}`);
      }
      return oneLine(String(e));
    });
    const more = content.length > 3 ? ` (+${content.length - 3} more)` : '';
    return oneLine(parts.join('; ') + more);
  }
  if (typeof content === 'object') {
    const o = content as Record<string, unknown>;
    if (typeof o.stack === 'string') return oneLine(o.stack); // L8: first line of the stack only
    if (typeof o.message === 'string') return oneLine(o.message);
    let s: string;
    try {
      s = JSON.stringify(content);
    } catch {
      s = String(content);
    }
    return oneLine(s);
  }
  return oneLine(String(content));
}

const NOT_FOUND = [
  /^Not Found$/i,
  /^No such\b/i,
  /^No rule\b/i,
  /\bUnknown (listener|cluster|rulelist|rule|route|endpoint|session)\b/i,
];

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (e) {
    return { ok: false, error: oneLine((e as Error).message) };
  }
}

interface RawResponse {
  readonly status: number;
  readonly reason: string;
  readonly body: string;
  readonly contentType: string | undefined;
}

/** Exported for tests: a response → its value, or the ProxyError it means. */
export function interpretResponse(
  res: RawResponse,
  ctx: { method: string; path: string; adminUrl: string },
): { ok: true; value: unknown } | { ok: false; error: ProxyError } {
  const base = { method: ctx.method, path: ctx.path, adminUrl: ctx.adminUrl, status: res.status };
  if (res.status === 200) {
    const p = parseJson(res.body);
    if (p.ok) return { ok: true, value: p.value };
    return {
      ok: false,
      error: new ProxyError({
        ...base,
        kind: 'transport',
        detail: `malformed JSON in a 200 response (${p.error}): ${oneLine(res.body.slice(0, 80)) || 'empty body'}`,
        maybeApplied: ctx.method !== 'GET',
      }),
    };
  }
  const p = parseJson(res.body);
  const obj =
    p.ok && p.value && typeof p.value === 'object' && !Array.isArray(p.value)
      ? (p.value as Record<string, unknown>)
      : undefined;
  const looksLikeProxy = obj !== undefined && ('message' in obj || 'content' in obj || 'status' in obj);
  const proxyMessage =
    looksLikeProxy && typeof obj.message === 'string'
      ? oneLine(obj.message)
      : oneLine(res.reason || '') || undefined;
  const content = looksLikeProxy ? obj.content : undefined;
  const described = looksLikeProxy ? describeContent(content) : undefined;
  const bodyLine = !looksLikeProxy ? oneLine(res.body.slice(0, 200)) : '';
  const detail = described ?? proxyMessage ?? (bodyLine || `HTTP ${res.status}`);

  let kind: ProxyErrorKind;
  if (!looksLikeProxy && (res.status === 502 || res.status === 503 || res.status === 504)) kind = 'transport';
  else if (res.status === 400 && NOT_FOUND.some((re) => re.test(detail))) kind = 'not-found';
  else kind = 'rejected';

  return {
    ok: false,
    error: new ProxyError({
      ...base,
      kind,
      detail: looksLikeProxy ? detail : bodyLine ? `${res.status} ${res.reason}: ${bodyLine}` : detail,
      ...(proxyMessage !== undefined ? { proxyMessage } : {}),
      ...(content !== undefined ? { content } : {}),
    }),
  };
}

// ---------------------------------------------------------------------------------------------
// The client

/** Socket errors raised before a connection exists: the request was certainly not sent. */
const CONNECT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
]);

class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}
  async run<T>(f: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) await new Promise<void>((r) => this.waiting.push(r));
    else this.active++;
    try {
      return await f();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active--;
    }
  }
}

interface AttemptFailure {
  readonly error: ProxyError;
  /** safe to try again */
  readonly retriable: boolean;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class ProxyClient {
  readonly adminUrl: string;
  private readonly base: URL;
  private readonly https: boolean;
  private readonly headers: Readonly<Record<string, string>>;
  private readonly tls: ProxyTls | undefined;
  private readonly baseDir: string;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly retryDelayMs: number;
  private readonly sem: Semaphore;
  private agent: HttpAgent | HttpsAgent | undefined;

  constructor(opts: ProxyClientOptions) {
    this.adminUrl = opts.adminUrl.replace(/\/+$/, '');
    this.base = new URL(this.adminUrl);
    if (this.base.protocol !== 'http:' && this.base.protocol !== 'https:')
      throw new Error(`admin URL must be http:// or https://: ${opts.adminUrl}`);
    this.https = this.base.protocol === 'https:';
    this.headers = { ...(opts.headers ?? {}) };
    this.tls = opts.tls;
    this.baseDir = opts.baseDir ?? process.cwd();
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.retries = Math.max(0, opts.retries ?? 3);
    this.retryDelayMs = opts.retryDelayMs ?? 100;
    this.sem = new Semaphore(Math.max(1, opts.maxConcurrent ?? 8));
  }

  /** GET `path` (below the admin URL, names already encoded) → the parsed JSON body. */
  get<T = unknown>(path: string): Promise<T> {
    return this.call('GET', path, undefined) as Promise<T>;
  }

  /** One mutation, exactly as planned: POST with its (already wrapped) body, or DELETE. */
  send(call: Call): Promise<unknown> {
    return this.call(call.method, call.path, call.method === 'POST' ? (call.body ?? {}) : undefined);
  }

  /** Closes idle keep-alive sockets (the client stays usable: a new agent is made on demand). */
  close(): void {
    this.agent?.destroy();
    this.agent = undefined;
  }

  private async call(method: 'GET' | 'POST' | 'DELETE', path: string, body: unknown): Promise<unknown> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body), 'utf8');
    let attempt = 0;
    for (;;) {
      attempt++;
      const r = await this.sem.run(() => this.attempt(method, path, payload));
      if (!('error' in r)) return r.value;
      if (!r.retriable || attempt > this.retries) {
        const e = r.error;
        throw attempt === 1 ? e : new ProxyError({ ...errorInit(e), attempts: attempt });
      }
      const delay = Math.min(2000, this.retryDelayMs * 2 ** (attempt - 1));
      await sleep(delay / 2 + Math.random() * (delay / 2));
    }
  }

  private getAgent(): HttpAgent | HttpsAgent {
    if (this.agent) return this.agent;
    // `timeout` closes idle keep-alive sockets before the proxy's server does (Node's default
    // keepAliveTimeout is 5 s), so a reused socket is rarely one the server is closing.
    const common = {
      keepAlive: true,
      keepAliveMsecs: 1000,
      timeout: 4000,
      maxSockets: 64,
      maxFreeSockets: 8,
    };
    if (!this.https) return (this.agent = new HttpAgent(common));
    const t = this.tls ?? {};
    const pem = (v: string | undefined, what: string): string | undefined => {
      if (v === undefined) return undefined;
      if (v.includes('-----BEGIN')) return v;
      const file = isAbsolute(v) ? v : resolvePath(this.baseDir, v);
      try {
        return readFileSync(file, 'utf8');
      } catch (e) {
        throw new Error(
          `cannot read the TLS ${what} file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        );
      }
    };
    const ca = pem(t.ca, 'ca');
    const cert = pem(t.cert, 'cert');
    const key = pem(t.key, 'key');
    return (this.agent = new HttpsAgent({
      ...common,
      ...(ca !== undefined ? { ca } : {}),
      ...(cert !== undefined ? { cert } : {}),
      ...(key !== undefined ? { key } : {}),
      rejectUnauthorized: !t.insecure,
    }));
  }

  private attempt(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    payload: Buffer | undefined,
  ): Promise<{ value: unknown } | AttemptFailure> {
    const fullPath = `${this.base.pathname.replace(/\/+$/, '')}${path.startsWith('/') ? '' : '/'}${path}`;
    const ctx = { method, path, adminUrl: this.adminUrl };
    const fail = (
      init: Omit<ProxyErrorInit, 'method' | 'path' | 'adminUrl'>,
      retriable: boolean,
    ): AttemptFailure => ({
      error: new ProxyError({ ...ctx, ...init }),
      retriable,
    });

    let agent: HttpAgent | HttpsAgent;
    try {
      agent = this.getAgent();
    } catch (e) {
      return Promise.resolve(fail({ kind: 'transport', detail: oneLine((e as Error).message) }, false));
    }

    return new Promise((resolve) => {
      let settled = false;
      let connected = false;
      const done = (r: { value: unknown } | AttemptFailure) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(r);
      };
      const headers: Record<string, string> = { ...this.headers, Accept: 'application/json' };
      if (payload !== undefined) {
        headers['Content-Type'] = 'application/json'; // exactly: no charset (facts §1)
        headers['Content-Length'] = String(payload.length);
      }
      const req = (this.https ? httpsRequest : httpRequest)({
        protocol: this.base.protocol,
        hostname: this.base.hostname.replace(/^\[|\]$/g, ''),
        port: this.base.port || (this.https ? 443 : 80),
        method,
        path: fullPath,
        headers,
        agent,
      });

      const timer = setTimeout(() => {
        // A GET can always be repeated; a mutation only if it never left this machine.
        const sent = connected || req.reusedSocket;
        done(
          fail(
            {
              kind: 'timeout',
              detail: `no ${sent ? 'response' : 'connection'} within ${this.timeoutMs} ms`,
              maybeApplied: method !== 'GET' && sent,
            },
            method === 'GET' || !sent,
          ),
        );
        req.destroy();
      }, this.timeoutMs);

      req.on('socket', (sock) => {
        if (req.reusedSocket || !(sock as { connecting?: boolean }).connecting) connected = true;
        else sock.once(this.https ? 'secureConnect' : 'connect', () => (connected = true));
      });

      req.on('error', (err: NodeJS.ErrnoException) => {
        const code = err.code;
        const beforeConnect =
          !connected && !req.reusedSocket && (code === undefined || CONNECT_CODES.has(code));
        const retriable = method === 'GET' ? true : beforeConnect;
        done(
          fail(
            {
              kind: 'transport',
              detail: oneLine(err.message || String(code)),
              ...(code ? { code } : {}),
              maybeApplied: method !== 'GET' && !beforeConnect,
            },
            // certificate problems and the like do not heal by retrying
            retriable && !/CERT|SELF_SIGNED|TLS|SSL/i.test(code ?? ''),
          ),
        );
      });

      req.on('response', (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > 256 * 1024 * 1024) {
            done(fail({ kind: 'transport', detail: 'response larger than 256 MiB' }, false));
            req.destroy();
            return;
          }
          chunks.push(c);
        });
        res.on('error', (err: NodeJS.ErrnoException) =>
          done(
            fail(
              {
                kind: 'transport',
                detail: `response cut off: ${oneLine(err.message)}`,
                ...(err.code ? { code: err.code } : {}),
                maybeApplied: method !== 'GET',
              },
              method === 'GET',
            ),
          ),
        );
        res.on('aborted', () =>
          done(
            fail(
              { kind: 'transport', detail: 'response cut off', maybeApplied: method !== 'GET' },
              method === 'GET',
            ),
          ),
        );
        res.on('end', () => {
          const raw = {
            status: res.statusCode ?? 0,
            reason: res.statusMessage ?? '',
            body: Buffer.concat(chunks).toString('utf8'),
            contentType: res.headers['content-type'],
          };
          const r = interpretResponse(raw, ctx);
          if (r.ok) done({ value: r.value });
          else done({ error: r.error, retriable: method === 'GET' && r.error.kind === 'transport' });
        });
      });

      req.end(payload);
    });
  }
}

function errorInit(e: ProxyError): ProxyErrorInit {
  return {
    kind: e.kind,
    detail: e.detail,
    method: e.method,
    path: e.path,
    adminUrl: e.adminUrl,
    maybeApplied: e.maybeApplied,
    ...(e.status !== undefined ? { status: e.status } : {}),
    ...(e.proxyMessage !== undefined ? { proxyMessage: e.proxyMessage } : {}),
    ...(e.content !== undefined ? { content: e.content } : {}),
    ...(e.code !== undefined ? { code: e.code } : {}),
  };
}
