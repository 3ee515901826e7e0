// Encodes and decodes map keys and values byte for byte, from the layouts in layout.ts (the same
// ones the C header is generated from). bpftool speaks hex: `key hex 0a c8 01 02 ...` in commands
// and `["0x0a","0xc8",...]` in `-j` dumps (decode from those, never from its `formatted` view:
// it prints __be32 fields as little-endian numbers).
import { endianness } from 'node:os';
import { FLAG_REVERSE, IPPROTO_UDP, KEY, RULE, STATS, fieldsAt, sizeOf, type Struct } from './layout.ts';
import { formatIpv4, parseIpv4 } from './ipv4.ts';
import type { Direction, FiveTuple } from './model.ts';

type Values = Readonly<Record<string, number | bigint>>;

const LE = endianness() === 'LE';

/** Packs `values` (missing fields and padding are zero) into the struct's bytes. */
export function encodeStruct(s: Struct, values: Values): Buffer {
  const buf = Buffer.alloc(sizeOf(s));
  for (const f of fieldsAt(s)) {
    if (f.count !== undefined) continue; // arrays are padding: zero
    const v = values[f.name] ?? 0;
    switch (f.type) {
      case 'be32':
        buf.writeUInt32BE(Number(v) >>> 0, f.offset);
        break;
      case 'be16':
        buf.writeUInt16BE(Number(v), f.offset);
        break;
      case 'u8':
        buf.writeUInt8(Number(v), f.offset);
        break;
      case 'u32':
        if (LE) buf.writeUInt32LE(Number(v) >>> 0, f.offset);
        else buf.writeUInt32BE(Number(v) >>> 0, f.offset);
        break;
      case 'u64':
        if (LE) buf.writeBigUInt64LE(BigInt(v), f.offset);
        else buf.writeBigUInt64BE(BigInt(v), f.offset);
        break;
    }
  }
  return buf;
}

/** The fields of the struct's bytes: numbers, and bigints for u64. Padding is skipped. */
export function decodeStruct(s: Struct, buf: Buffer): Record<string, number | bigint> {
  if (buf.length !== sizeOf(s)) throw new Error(`${s.cName}: ${buf.length} bytes, expected ${sizeOf(s)}`);
  const out: Record<string, number | bigint> = {};
  for (const f of fieldsAt(s)) {
    if (f.count !== undefined) continue;
    switch (f.type) {
      case 'be32':
        out[f.name] = buf.readUInt32BE(f.offset);
        break;
      case 'be16':
        out[f.name] = buf.readUInt16BE(f.offset);
        break;
      case 'u8':
        out[f.name] = buf.readUInt8(f.offset);
        break;
      case 'u32':
        out[f.name] = LE ? buf.readUInt32LE(f.offset) : buf.readUInt32BE(f.offset);
        break;
      case 'u64':
        out[f.name] = LE ? buf.readBigUInt64LE(f.offset) : buf.readBigUInt64BE(f.offset);
        break;
    }
  }
  return out;
}

function ip(address: string): number {
  const n = parseIpv4(address);
  if (n === undefined) throw new Error(`not an IPv4 address: ${address}`);
  return n;
}

export function encodeKey(t: FiveTuple): Buffer {
  return encodeStruct(KEY, {
    saddr: ip(t.src.address),
    daddr: ip(t.dst.address),
    sport: t.src.port,
    dport: t.dst.port,
    proto: IPPROTO_UDP,
  });
}

export interface RuleValue {
  readonly rewrite: FiveTuple;
  readonly ifindex: number;
  readonly direction: Direction;
}

export function encodeRule(r: RuleValue): Buffer {
  return encodeStruct(RULE, {
    saddr: ip(r.rewrite.src.address),
    daddr: ip(r.rewrite.dst.address),
    sport: r.rewrite.src.port,
    dport: r.rewrite.dst.port,
    ifindex: r.ifindex,
    flags: r.direction === 'reverse' ? FLAG_REVERSE : 0,
  });
}

function tuple(v: Record<string, number | bigint>): FiveTuple {
  return {
    src: { address: formatIpv4(Number(v.saddr)), port: Number(v.sport) },
    dst: { address: formatIpv4(Number(v.daddr)), port: Number(v.dport) },
  };
}

export function decodeKey(buf: Buffer): FiveTuple {
  return tuple(decodeStruct(KEY, buf));
}

export function decodeRule(buf: Buffer): RuleValue {
  const v = decodeStruct(RULE, buf);
  return {
    rewrite: tuple(v),
    ifindex: Number(v.ifindex),
    direction: (Number(v.flags) & FLAG_REVERSE) !== 0 ? 'reverse' : 'forward',
  };
}

export interface StatsValue {
  readonly packets: bigint;
  readonly bytes: bigint;
  /** CLOCK_MONOTONIC nanoseconds (process.hrtime.bigint() is on the same clock); 0n: never */
  readonly lastSeenNs: bigint;
}

export function decodeStats(buf: Buffer): StatsValue {
  const v = decodeStruct(STATS, buf);
  return { packets: BigInt(v.packets!), bytes: BigInt(v.bytes!), lastSeenNs: BigInt(v.last_seen_ns!) };
}

export const ZERO_STATS: Buffer = encodeStruct(STATS, {});

/** `0a c8 01 02 …`: the form bpftool takes after `key hex` / `value hex`. */
export function toHex(buf: Buffer): string {
  return [...buf].map((b) => b.toString(16).padStart(2, '0')).join(' ');
}

/** bpftool -j's `["0x0a","0xc8",…]` → bytes. */
export function fromBpftoolBytes(bytes: readonly string[]): Buffer {
  return Buffer.from(bytes.map((b) => parseInt(b, 16)));
}

/** A stable identity of a match 5-tuple: the key's hex. */
export function keyId(t: FiveTuple): string {
  return toHex(encodeKey(t));
}
