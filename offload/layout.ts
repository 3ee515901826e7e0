// The ONE definition of the offload maps: their names, sizes, and the byte layout of every key and
// value. `offload/bpf/layout.h` (the C side) is generated from this file by `gen-layout-h.ts`, and
// `codec.ts` (the TypeScript side) encodes and decodes with it, so the two can never disagree; a
// test fails when the checked-in header is stale.
//
// Every struct is packed, and every field sits at a multiple of its own size, so the C compiler
// adds no padding and the BPF program's loads, stores and atomic adds are aligned.

/**
 * be32/be16: network byte order (as on the wire: addresses and ports are copied straight from and
 * into the packet). u32/u64: the host's byte order (numbers the program itself reads or counts).
 */
export type FieldType = 'be32' | 'be16' | 'u8' | 'u32' | 'u64';

export const FIELD_BYTES: Readonly<Record<FieldType, number>> = { be32: 4, be16: 2, u8: 1, u32: 4, u64: 8 };

export interface Field {
  readonly name: string;
  readonly type: FieldType;
  /** an array of this many elements (padding); default 1 */
  readonly count?: number;
  readonly doc: string;
}

export interface Struct {
  /** the C struct name */
  readonly cName: string;
  readonly doc: string;
  readonly fields: readonly Field[];
}

export interface MapDef {
  /** the BPF map name, also its pin file name (at most 15 characters) */
  readonly name: string;
  readonly type: 'BPF_MAP_TYPE_HASH';
  readonly key: Struct;
  readonly value: Struct;
  readonly doc: string;
}

/** The name of the tc classifier (its ELF section is `tc`); also its pin file name. */
export const PROG_NAME = 'ofl_fwd';

/**
 * Capacity of both maps, entries (two per offloaded path: one per direction). The hash maps are
 * preallocated: an insert beyond capacity fails, so derivation and sync check it first.
 */
export const MAX_ENTRIES = 65536;

/** `ofl_rule.flags` bit: the entry carries replies (endpoint → client); sync orders writes by it. */
export const FLAG_REVERSE = 1;

/** `ofl_key.proto`: the only protocol the program rewrites. */
export const IPPROTO_UDP = 17;

/** The 5-tuple of an arriving IPv4/UDP packet: the key of both maps. */
export const KEY: Struct = {
  cName: 'ofl_key',
  doc: 'The 5-tuple of an arriving IPv4/UDP packet, as in its headers: the key of ofl_rules and ofl_stats.',
  fields: [
    { name: 'saddr', type: 'be32', doc: 'IPv4 source address' },
    { name: 'daddr', type: 'be32', doc: 'IPv4 destination address' },
    { name: 'sport', type: 'be16', doc: 'UDP source port' },
    { name: 'dport', type: 'be16', doc: 'UDP destination port' },
    { name: 'proto', type: 'u8', doc: 'IP protocol: always 17 (UDP)' },
    { name: 'pad', type: 'u8', count: 3, doc: 'always zero (the whole key is hashed)' },
  ],
};

/** What the program writes into a matching packet, and where it sends it. */
export const RULE: Struct = {
  cName: 'ofl_rule',
  doc: 'The rewritten 5-tuple and the output interface: the value of ofl_rules.',
  fields: [
    { name: 'saddr', type: 'be32', doc: 'new IPv4 source address' },
    { name: 'daddr', type: 'be32', doc: 'new IPv4 destination address' },
    { name: 'sport', type: 'be16', doc: 'new UDP source port' },
    { name: 'dport', type: 'be16', doc: 'new UDP destination port' },
    { name: 'ifindex', type: 'u32', doc: 'output interface for bpf_redirect_neigh (same namespace)' },
    { name: 'flags', type: 'u32', doc: 'OFL_F_*: informational for userspace, ignored by the program' },
  ],
};

/** Per-rule counters, updated with atomic adds (a plain hash: per-CPU maps are unusable from Node). */
export const STATS: Struct = {
  cName: 'ofl_stats',
  doc: 'Counters of one rule: the value of ofl_stats. Written zeroed by the sync, updated by the program.',
  fields: [
    { name: 'packets', type: 'u64', doc: 'packets rewritten and redirected' },
    { name: 'bytes', type: 'u64', doc: 'their IPv4 total length, summed' },
    { name: 'last_seen_ns', type: 'u64', doc: 'bpf_ktime_get_ns() (CLOCK_MONOTONIC) at the last packet' },
  ],
};

export const RULES_MAP: MapDef = {
  name: 'ofl_rules',
  type: 'BPF_MAP_TYPE_HASH',
  key: KEY,
  value: RULE,
  doc: 'incoming 5-tuple -> rewrite and output interface',
};

export const STATS_MAP: MapDef = {
  name: 'ofl_stats',
  type: 'BPF_MAP_TYPE_HASH',
  key: KEY,
  value: STATS,
  doc: 'incoming 5-tuple -> counters of its rule',
};

export const MAPS: readonly MapDef[] = [RULES_MAP, STATS_MAP];

export interface FieldAt extends Field {
  readonly offset: number;
  readonly bytes: number;
}

const laidOut = new WeakMap<Struct, readonly FieldAt[]>();

/** Each field with its byte offset and size; throws if a field would be misaligned (a layout bug). */
export function fieldsAt(s: Struct): readonly FieldAt[] {
  const cached = laidOut.get(s);
  if (cached) return cached;
  let offset = 0;
  const fields = s.fields.map((f) => {
    const unit = FIELD_BYTES[f.type];
    if (offset % unit !== 0)
      throw new Error(`layout: ${s.cName}.${f.name} at ${offset} is not ${unit}-aligned`);
    const at = { ...f, offset, bytes: unit * (f.count ?? 1) };
    offset += at.bytes;
    return at;
  });
  laidOut.set(s, fields);
  return fields;
}

export function sizeOf(s: Struct): number {
  return fieldsAt(s).reduce((n, f) => n + f.bytes, 0);
}

/** The largest field unit: the struct's alignment (its size is a multiple of it). */
export function alignOf(s: Struct): number {
  return Math.max(...s.fields.map((f) => FIELD_BYTES[f.type]));
}
