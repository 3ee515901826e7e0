// Running the system tools the offload drives (bpftool, tc, ip, mount): execFile, optionally inside
// a named network namespace. A namespace is entered with `nsenter --net=/run/netns/NAME`, which
// switches ONLY the network namespace: `ip netns exec` and `tc -n` also remount /sys, so the
// host's bpffs (our pins) would be invisible there (facts §1.2).
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';

export class OffloadError extends Error {
  constructor(
    message: string,
    readonly code:
      | 'privileges'
      | 'missing-tool'
      | 'command'
      | 'not-loaded'
      | 'capacity'
      | 'no-object'
      | 'bad-state' = 'command',
  ) {
    super(message);
    this.name = 'OffloadError';
  }
}

export interface RunOptions {
  /** run inside this named network namespace (/run/netns/NAME) */
  readonly netns?: string;
  /** written to the command's stdin */
  readonly input?: string;
}

const INSTALL_HINT: Readonly<Record<string, string>> = {
  bpftool: 'bpftool',
  tc: 'iproute2',
  ip: 'iproute2',
  clang: 'clang',
  nsenter: 'util-linux',
  ethtool: 'ethtool',
};

/** The command line as a user would type it (for errors). */
export function commandLine(cmd: string, args: readonly string[], netns?: string): string {
  return [...(netns ? ['nsenter', `--net=/run/netns/${netns}`] : []), cmd, ...args].join(' ');
}

export async function run(cmd: string, args: readonly string[], opts: RunOptions = {}): Promise<string> {
  const [file, argv] = opts.netns
    ? ['nsenter', [`--net=/run/netns/${opts.netns}`, cmd, ...args]]
    : [cmd, [...args]];
  return new Promise((resolve, reject) => {
    const child = execFile(file, argv, { maxBuffer: 1 << 30, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout);
      const e = err as NodeJS.ErrnoException & { code?: unknown };
      if (e.code === 'ENOENT')
        return reject(
          new OffloadError(
            `${file} not found: install ${INSTALL_HINT[file] ?? file} (make setup runs offload/install-deps.sh)`,
            'missing-tool',
          ),
        );
      const detail = (stderr || stdout || e.message).trim();
      reject(
        new OffloadError(
          `${commandLine(cmd, args, opts.netns)} failed (exit ${String(e.code)}): ${detail}`,
          'command',
        ),
      );
    });
    if (opts.input !== undefined) {
      child.stdin?.on('error', () => {}); // a command that exits early: its exit status tells
      child.stdin?.end(opts.input);
    }
  });
}

/** bpftool with JSON output; its warnings (libbpf strict mode) go to stderr and are ignored. */
export async function bpftoolJson<T>(args: readonly string[], input?: string): Promise<T> {
  const out = await run('bpftool', ['-j', ...args], input !== undefined ? { input } : {});
  try {
    return JSON.parse(out || 'null') as T;
  } catch {
    throw new OffloadError(`bpftool ${args.join(' ')}: unexpected output: ${out.slice(0, 200)}`);
  }
}

// Capability bits (linux/capability.h).
const CAP_SYS_ADMIN = 21;
const CAP_NET_ADMIN = 12;
const CAP_BPF = 39;

/** The effective capabilities of this process (from /proc/self/status), as a bit set. */
export function effectiveCaps(status?: string): bigint {
  const text = status ?? readFileSync('/proc/self/status', 'utf8');
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(text);
  return m ? BigInt(`0x${m[1]}`) : 0n;
}

/**
 * The capabilities the offload needs, or a clear error: CAP_BPF (or CAP_SYS_ADMIN on older
 * kernels) for maps and programs, CAP_NET_ADMIN for tc, and CAP_SYS_ADMIN to enter a namespace or
 * mount the BPF file system. Root has them all.
 */
export function missingPrivileges(
  opts: { netns?: string | undefined },
  caps = effectiveCaps(),
): string | undefined {
  const has = (bit: number) => (caps & (1n << BigInt(bit))) !== 0n;
  const missing = [
    ...(has(CAP_BPF) || has(CAP_SYS_ADMIN) ? [] : ['CAP_BPF']),
    ...(has(CAP_NET_ADMIN) ? [] : ['CAP_NET_ADMIN']),
    ...(opts.netns && !has(CAP_SYS_ADMIN) ? ['CAP_SYS_ADMIN (to enter a network namespace)'] : []),
  ];
  if (!missing.length) return undefined;
  return `the kernel offload needs root (or CAP_BPF and CAP_NET_ADMIN${opts.netns ? ', and CAP_SYS_ADMIN for --netns' : ''}); this process lacks ${missing.join(', ')}: run it as root (sudo)`;
}

export function assertPrivileges(opts: { netns?: string | undefined }): void {
  const msg = missingPrivileges(opts);
  if (msg) throw new OffloadError(msg, 'privileges');
}
