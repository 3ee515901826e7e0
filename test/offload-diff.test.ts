// The sync plan (pure), run against a model of bpftool's batch semantics (noexist/exist updates,
// deletes of missing keys fail, the batch stops at the first failure): for any live and desired
// sets, the plan's commands turn the one into the other; planning again finds nothing to do; reply
// entries go in before and out after forward ones; only dumped keys are deleted; and capacity is
// checked before anything is written.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { batchCommands, isEmptyPlan, planSync, type LiveMaps } from '../offload/diff.ts';
import { decodeKey, decodeRule, fromBpftoolBytes, keyId } from '../offload/codec.ts';
import type { OffloadEntry } from '../offload/model.ts';

const MAPS = { rules: '/p/maps/ofl_rules', stats: '/p/maps/ofl_stats' };

/** bpftool batch over in-memory maps; throws at the first failing command, like bpftool. */
function runBatch(
  state: { rules: Map<string, string>; stats: Map<string, string> },
  commands: readonly string[],
) {
  for (const [i, c] of commands.entries()) {
    const m =
      /^map (update|delete) pinned (\S+) key hex ((?:[0-9a-f]{2} ?)+?)(?: value hex ((?:[0-9a-f]{2} ?)+?))?(?: (noexist|exist))?$/.exec(
        c,
      );
    assert.ok(m, `unexpected command: ${c}`);
    const [, verb, path, key, value, flag] = m;
    const map = path === MAPS.rules ? state.rules : state.stats;
    if (verb === 'delete') {
      if (!map.has(key!)) throw new Error(`command ${i}: delete failed: No such file or directory`);
      map.delete(key!);
      continue;
    }
    if (flag === 'noexist' && map.has(key!)) throw new Error(`command ${i}: update failed: File exists`);
    if (flag === 'exist' && !map.has(key!)) throw new Error(`command ${i}: update failed: No such file`);
    map.set(key!, value!);
  }
}

function liveOf(state: { rules: Map<string, string>; stats: Map<string, string> }): LiveMaps {
  const bytes = (hex: string) => fromBpftoolBytes(hex.split(' ').map((b) => `0x${b}`));
  return {
    rules: [...state.rules].map(([keyHex, valueHex]) => ({
      keyHex,
      valueHex,
      match: decodeKey(bytes(keyHex)),
      rule: decodeRule(bytes(valueHex)),
    })),
    statsKeys: [...state.stats.keys()],
  };
}

/** A pool of paths: path i is client 10.200.1.2:(4000+i) ↔ listener :5000+i, bind :6000+i, server :7000+i. */
function path(i: number, serverPort = 7000 + i, out = 3): OffloadEntry[] {
  const names = { listener: `l${i}`, route: `r${i}`, cluster: `c${i}` };
  const client = { address: '10.200.1.2', port: 4000 + i };
  const listener = { address: '10.200.1.1', port: 5000 + i };
  const bind = { address: '10.200.2.1', port: 6000 + i };
  const server = { address: '10.200.2.2', port: serverPort };
  return [
    {
      direction: 'forward',
      match: { src: client, dst: listener },
      rewrite: { src: bind, dst: server },
      in: { name: 'p1', ifindex: 2 },
      out: { name: `p${out - 1}`, ifindex: out },
      ...names,
    },
    {
      direction: 'reverse',
      match: { src: server, dst: bind },
      rewrite: { src: listener, dst: client },
      in: { name: `p${out - 1}`, ifindex: out },
      out: { name: 'p1', ifindex: 2 },
      ...names,
    },
  ];
}

const desiredArb = fc
  .uniqueArray(
    fc.record({
      i: fc.integer({ min: 0, max: 12 }),
      port: fc.integer({ min: 0, max: 2 }),
      out: fc.integer({ min: 3, max: 4 }),
    }),
    { selector: (p) => p.i, maxLength: 10 },
  )
  .map((ps) => ps.flatMap((p) => path(p.i, 7000 + p.i + 100 * p.port, p.out)));

const empty = () => ({ rules: new Map<string, string>(), stats: new Map<string, string>() });

test('property: the commands turn any live set into the desired one; planning again is empty; the order is safe', () => {
  fc.assert(
    fc.property(desiredArb, desiredArb, (a, b) => {
      const state = empty();
      runBatch(state, batchCommands(planSync(a, liveOf(state), 1000), MAPS));
      const live = liveOf(state);
      const plan = planSync(b, live, 1000);
      const cmds = batchCommands(plan, MAPS);
      runBatch(state, cmds);
      assert.deepEqual([...state.rules.keys()].sort(), b.map((e) => keyId(e.match)).sort());
      assert.deepEqual(
        [...state.stats.keys()].sort(),
        [...state.rules.keys()].sort(),
        'a counters entry per rule',
      );
      assert.ok(isEmptyPlan(planSync(b, liveOf(state), 1000)), 'nothing left to do');
      // deletes only name keys from the dump
      const dumped = new Set(live.rules.map((r) => r.keyHex));
      for (const op of plan.ops.filter((o) => o.kind === 'remove')) assert.ok(dumped.has(op.keyHex));
      // reverse before forward among adds (and changes), forward before reverse among removes
      for (const kind of ['add', 'change', 'remove'] as const) {
        const dirs = plan.ops.filter((o) => o.kind === kind).map((o) => o.direction);
        const first = kind === 'remove' ? 'forward' : 'reverse';
        assert.deepEqual(
          dirs,
          [...dirs.filter((d) => d === first), ...dirs.filter((d) => d !== first)],
          kind,
        );
      }
      // a rule's counters exist before it, and go after it
      for (const [i, c] of cmds.entries()) {
        const key = / key hex (.*?)(?: value| noexist| exist|$)/.exec(c)![1]!;
        if (c.startsWith(`map update pinned ${MAPS.rules}`) && c.endsWith('noexist'))
          assert.ok(
            cmds.slice(0, i).some((x) => x.startsWith(`map update pinned ${MAPS.stats} key hex ${key}`)),
          );
        if (c.startsWith(`map delete pinned ${MAPS.stats}`) && live.rules.some((r) => r.keyHex === key))
          assert.ok(cmds.slice(0, i).some((x) => x === `map delete pinned ${MAPS.rules} key hex ${key}`));
      }
    }),
    { numRuns: 200 },
  );
});

test('a map that changed since the dump stops the batch instead of being overwritten', () => {
  const state = empty();
  const plan = planSync(path(1), liveOf(state), 10);
  // someone else adds the same reverse key in between
  runBatch(state, batchCommands(planSync([path(1)[1]!], liveOf(state), 10), MAPS));
  assert.throws(() => runBatch(state, batchCommands(plan, MAPS)), /File exists/);
});

test('capacity: make before break when it fits, break before make when only the result fits, else an error', () => {
  const state = empty();
  runBatch(state, batchCommands(planSync([...path(0), ...path(1)], liveOf(state), 4), MAPS));
  const live = liveOf(state);
  // replace path 1 by path 2: 4 live + 2 adds > 4, but the result (4) fits
  const swap = planSync([...path(0), ...path(2)], live, 4);
  assert.equal(swap.order, 'break-before-make');
  assert.deepEqual(
    swap.ops.map((o) => `${o.kind} ${o.direction}`),
    ['remove forward', 'remove reverse', 'add reverse', 'add forward'],
  );
  assert.equal(planSync([...path(0), ...path(2)], live, 6).order, 'make-before-break');
  const over = planSync([...path(0), ...path(1), ...path(2)], live, 4);
  assert.equal(over.error?.code, 'capacity');
  assert.deepEqual(batchCommands(over, MAPS), [], 'nothing to write');
});

test('orphaned counters are removed first; missing counters are added back', () => {
  const state = empty();
  runBatch(state, batchCommands(planSync(path(0), liveOf(state), 10), MAPS));
  state.stats.set('0a 0a 0a 0a 0a 0a 0a 0a 00 01 00 02 11 00 00 00', '00');
  const fwdKey = keyId(path(0)[0]!.match);
  state.stats.delete(fwdKey);
  const cmds = batchCommands(planSync(path(0), liveOf(state), 10), MAPS);
  assert.deepEqual(cmds, [
    `map delete pinned ${MAPS.stats} key hex 0a 0a 0a 0a 0a 0a 0a 0a 00 01 00 02 11 00 00 00`,
    `map update pinned ${MAPS.stats} key hex ${fwdKey} value hex ${Array(24).fill('00').join(' ')}`,
  ]);
});
