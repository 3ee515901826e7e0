// The map layouts are defined once (offload/layout.ts): the checked-in C header is generated from
// it and must be current, the C program defines no layout of its own, and the TypeScript codec
// produces the bytes the facts document verified against the kernel.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { LAYOUT_H_PATH, layoutHeader } from '../offload/gen-layout-h.ts';
import { SOURCE_PATH } from '../offload/build.ts';
import { FIELD_BYTES, KEY, RULE, STATS, alignOf, fieldsAt, sizeOf } from '../offload/layout.ts';
import {
  decodeKey,
  decodeRule,
  decodeStats,
  encodeKey,
  encodeRule,
  encodeStruct,
  fromBpftoolBytes,
  toHex,
} from '../offload/codec.ts';

test('offload/bpf/layout.h is generated from offload/layout.ts and current (npx tsx offload/gen-layout-h.ts)', () => {
  assert.equal(readFileSync(LAYOUT_H_PATH, 'utf8'), layoutHeader());
});

test('the C program takes every layout from the generated header', () => {
  const c = readFileSync(SOURCE_PATH, 'utf8');
  assert.match(c, /#include "layout\.h"/);
  for (const s of [KEY, RULE, STATS]) assert.doesNotMatch(c, new RegExp(`struct ${s.cName}\\s*\\{`));
  assert.doesNotMatch(c, /max_entries,\s*\d/, 'capacity comes from OFL_MAX_ENTRIES');
  assert.doesNotMatch(c, /BPF_MAP_TYPE_(LRU|PERCPU)/, 'plain hashes only');
});

test('sizes and alignment: packed, every field naturally aligned', () => {
  assert.deepEqual([sizeOf(KEY), sizeOf(RULE), sizeOf(STATS)], [16, 20, 24]);
  assert.deepEqual([alignOf(KEY), alignOf(RULE), alignOf(STATS)], [4, 4, 8]);
  for (const s of [KEY, RULE, STATS])
    for (const f of fieldsAt(s)) assert.equal(f.offset % FIELD_BYTES[f.type], 0, `${s.cName}.${f.name}`);
});

test('key and rule bytes are those verified on the kernel (facts §1.5)', () => {
  const match = { src: { address: '10.200.1.2', port: 4000 }, dst: { address: '10.200.1.1', port: 5000 } };
  const rewrite = { src: { address: '10.200.2.1', port: 6000 }, dst: { address: '10.200.2.2', port: 7000 } };
  assert.equal(toHex(encodeKey(match)), '0a c8 01 02 0a c8 01 01 0f a0 13 88 11 00 00 00');
  const rule = { rewrite, ifindex: 3, direction: 'forward' as const };
  assert.equal(toHex(encodeRule(rule)), '0a c8 02 01 0a c8 02 02 17 70 1b 58 03 00 00 00 00 00 00 00');
  assert.equal(
    toHex(encodeRule({ ...rule, direction: 'reverse' })).slice(-11),
    '01 00 00 00',
    'OFL_F_REVERSE',
  );
  assert.deepEqual(decodeKey(encodeKey(match)), match);
  assert.deepEqual(decodeRule(encodeRule(rule)), rule);
});

test('bpftool -j bytes decode, counters are 64-bit', () => {
  const raw = encodeStruct(STATS, { packets: 5n, bytes: 170n, last_seen_ns: 2n ** 63n + 1n });
  const dumped = [...raw].map((b) => `0x${b.toString(16).padStart(2, '0')}`);
  assert.deepEqual(decodeStats(fromBpftoolBytes(dumped)), {
    packets: 5n,
    bytes: 170n,
    lastSeenNs: 2n ** 63n + 1n,
  });
});
