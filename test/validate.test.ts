// The validate stage: which objects pass, and which catalogue code and path each schema violation
// gets. Asserts codes and paths, not wording (wording may improve).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validate } from '../compiler/stages/validate.ts';
import { Diagnostics, type Diagnostic, type PathSegment } from '../compiler/diagnostics/diagnostic.ts';
import type { RawObject } from '../compiler/model/raw.ts';

const meta = { name: 'a' };

function raw(value: Record<string, unknown>, document = 0, base: PathSegment[] = []): RawObject {
  return { src: { file: 'repo/x.yaml', document, base, format: base.length ? 'cue' : 'yaml' }, value };
}

function run(...values: Record<string, unknown>[]): { passed: RawObject[]; diags: Diagnostic[] } {
  const diags = new Diagnostics();
  const passed = validate(
    values.map((v, i) => raw(v, i)),
    diags,
  );
  return { passed, diags: diags.items };
}

/** [code, path] of every diagnostic, in a stable order */
function found(...values: Record<string, unknown>[]): [string, PathSegment[]][] {
  return run(...values)
    .diags.map((d): [string, PathSegment[]] => [d.code, [...(d.path ?? [])]])
    .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
}

const vs = (spec: Record<string, unknown>) => ({ kind: 'VirtualService', metadata: meta, spec });
const target = (spec: Record<string, unknown>) => ({ kind: 'Target', metadata: meta, spec });
const route = (spec: Record<string, unknown>) => ({ kind: 'Route', metadata: meta, spec });

test('valid objects pass unchanged and produce no diagnostics', () => {
  const objects = [
    vs({
      listener: { spec: { UDP: { port: 5053 } }, rules: [{ action: { route: { destination: 'dns' } } }] },
    }),
    vs({ listener: { protocol: 'UDP', port: 5053 }, rules: [{ action: { route: 'r' } }] }),
    target({ linkedVirtualService: 'gw' }),
    target({ spec: { Echo: {} } }),
    route({
      destination: { spec: { protocol: 'UDP', port: 1 }, endpoints: [{ selector: { matchService: 's' } }] },
    }),
    {
      kind: 'Rule',
      metadata: meta,
      spec: { virtualService: 'gw', rule: { action: { rewrite: [{ path: '/a', value: 1 }] } } },
    },
    {
      kind: 'Proxy',
      metadata: meta,
      spec: { admin: { url: 'http://127.0.0.1:1234' }, address: '127.0.0.1' },
    },
    {
      kind: 'Service',
      metadata: meta,
      spec: { protocol: 'UDP', port: 9999, endpoints: [{ address: '127.0.0.1' }] },
    },
  ];
  const { passed, diags } = run(...objects);
  assert.deepEqual(diags, []);
  assert.deepEqual(
    passed.map((o) => o.value),
    objects,
  );
});

test('missing kind is L7C3008 at the object', () => {
  assert.deepEqual(found({ metadata: meta, spec: {} }), [['L7C3008', []]]);
});

test('unknown kind is L7C3001 at kind, with a did-you-mean hint', () => {
  const { diags } = run({ kind: 'Servce', metadata: meta, spec: {} });
  assert.deepEqual(
    diags.map((d) => [d.code, d.path]),
    [['L7C3001', ['kind']]],
  );
  assert.match(diags[0]!.hint ?? '', /`Service`/);
  assert.match(diags[0]!.message, /VirtualService/); // lists the valid kinds
  assert.deepEqual(found({ kind: 7, metadata: meta }), [['L7C3004', ['kind']]]);
});

test('apiVersion other than l7mp.io/v1 is L7C3002, reported once', () => {
  assert.deepEqual(
    found({ apiVersion: 'l7mp.io/v2', kind: 'Route', metadata: meta, spec: { destination: 'a' } }),
    [['L7C3002', ['apiVersion']]],
  );
});

test('missing required field is L7C3003 at the object that lacks it', () => {
  assert.deepEqual(found({ kind: 'Route', metadata: meta }), [['L7C3003', []]]);
  assert.deepEqual(found(route({ destination: 'a', retry: {} })), [['L7C3003', ['spec', 'retry']]]);
  assert.deepEqual(found(vs({ listener: { TCP: {} } })), [['L7C3003', ['spec', 'listener', 'TCP']]]);
});

test('wrong type is L7C3004; list indexes are numbers', () => {
  assert.deepEqual(found(vs({ listener: { protocol: 'UDP', port: '53' } })), [
    ['L7C3004', ['spec', 'listener', 'port']],
  ]);
  assert.deepEqual(found(vs({ rules: [{ action: { route: { destination: 5 } } }] })), [
    ['L7C3004', ['spec', 'rules', 0, 'action', 'route', 'destination']],
  ]);
  assert.deepEqual(
    found({
      kind: 'Proxy',
      metadata: { name: 'p', labels: { a: 1 } },
      spec: { admin: { url: 'http://x' }, address: 'a' },
    }),
    [['L7C3004', ['metadata', 'labels', 'a']]],
  );
});

test('unknown field is L7C3005 at the key, with the closest allowed key as hint', () => {
  const { diags } = run({
    kind: 'Service',
    metadata: meta,
    spec: { protocol: 'UDP', endpoints: [{ address: 'a', prot: 1 }] },
  });
  assert.deepEqual(
    diags.map((d) => [d.code, d.path]),
    [['L7C3005', ['spec', 'endpoints', 0, 'prot']]],
  );
  assert.match(diags[0]!.hint ?? '', /`port`/);
  // a typo of the key that picks the shape
  const t = run(target({ clustr: { spec: { Echo: {} } } })).diags;
  assert.deepEqual(
    t.map((d) => [d.code, d.path]),
    [['L7C3005', ['spec', 'clustr']]],
  );
  assert.match(t[0]!.hint ?? '', /`cluster`/);
  // a closed empty struct
  assert.deepEqual(found(target({ spec: { Echo: { x: 1 } } })), [['L7C3005', ['spec', 'spec', 'Echo', 'x']]]);
});

test('bad values are L7C3006: enum, pattern, range', () => {
  assert.deepEqual(found(route({ destination: 'a', retry: { retry_on: 'sometimes' } })), [
    ['L7C3006', ['spec', 'retry', 'retry_on']],
  ]);
  assert.deepEqual(found({ kind: 'Route', metadata: { name: 'Bad_Name' }, spec: { destination: 'a' } }), [
    ['L7C3006', ['metadata', 'name']],
  ]);
  assert.deepEqual(found(route({ destination: 'not a ref' })), [['L7C3006', ['spec', 'destination']]]);
  assert.deepEqual(found(vs({ listener: { UDP: { port: 70000 } } })), [
    ['L7C3006', ['spec', 'listener', 'UDP', 'port']],
  ]);
  assert.deepEqual(
    found({ kind: 'Proxy', metadata: meta, spec: { admin: { url: 'ftp://x' }, address: 'a' } }),
    [['L7C3006', ['spec', 'admin', 'url']]],
  );
});

test('HTTP and L7mpController are invalid cluster protocols, in both forms', () => {
  const flat = run(target({ spec: { protocol: 'HTTP', port: 80 } })).diags;
  assert.deepEqual(
    flat.map((d) => [d.code, d.path]),
    [['L7C3006', ['spec', 'spec', 'protocol']]],
  );
  assert.match(flat[0]!.message, /`Echo`/); // lists the valid protocols
  assert.deepEqual(found(target({ spec: { L7mpController: {} } })), [
    ['L7C3006', ['spec', 'spec', 'L7mpController']],
  ]);
  assert.deepEqual(found(route({ destination: { spec: { HTTP: { port: 80 } } } })), [
    ['L7C3006', ['spec', 'destination', 'spec', 'HTTP']],
  ]);
  // a JSONSocket transport is restricted too
  assert.deepEqual(found(vs({ listener: { JSONSocket: { transport: { protocol: 'HTTP', port: 1 } } } })), [
    ['L7C3006', ['spec', 'listener', 'JSONSocket', 'transport', 'protocol']],
  ]);
});

test('disjunctions report only the branch the discriminator picks', () => {
  // flat form: `protocol` picks UDP; one error, not one per protocol
  assert.deepEqual(found(vs({ listener: { protocol: 'UDP', port: 'x', bogus: 1 } })), [
    ['L7C3004', ['spec', 'listener', 'port']],
    ['L7C3005', ['spec', 'listener', 'bogus']],
  ]);
  // keyed form: the single protocol key picks the branch
  assert.deepEqual(found(vs({ listener: { spec: { WebSocket: { port: 1, paht: '/' } } } })), [
    ['L7C3005', ['spec', 'listener', 'spec', 'WebSocket', 'paht']],
  ]);
  // nested: inline target → cluster spec → JSONSocket transport
  assert.deepEqual(
    found(route({ destination: { spec: { JSONSocket: { transport: { UDP: { port: 0 } } } } } })),
    [['L7C3006', ['spec', 'destination', 'spec', 'JSONSocket', 'transport', 'UDP', 'port']]],
  );
  // endpoints: static vs dynamic by `spec`/`selector`
  assert.deepEqual(
    found(target({ spec: { Echo: {} }, endpoints: [{ spec: { address: 1 } }, { selector: { bad: 1 } }] })),
    [
      ['L7C3004', ['spec', 'endpoints', 0, 'spec', 'address']],
      ['L7C3005', ['spec', 'endpoints', 1, 'selector', 'bad']],
    ],
  );
  // Service: flat vs listener-like
  assert.deepEqual(found({ kind: 'Service', metadata: meta, spec: { spec: { UDP: { port: 'x' } } } }), [
    ['L7C3004', ['spec', 'spec', 'UDP', 'port']],
  ]);
  // a flat listener that forgot `protocol`
  assert.deepEqual(found(vs({ listener: { port: 53 } })), [['L7C3003', ['spec', 'listener']]]);
});

test('shapes that no discriminator picks are L7C3007', () => {
  assert.deepEqual(found(vs({ listener: { UDP: { port: 1 }, TCP: { port: 2 } } })), [
    ['L7C3007', ['spec', 'listener']],
  ]);
  assert.deepEqual(found(target({})), [['L7C3007', ['spec']]]);
  assert.deepEqual(found(target({ selector: {} })), [['L7C3007', ['spec']]]);
  assert.deepEqual(found(target({ cluster: { spec: { Echo: {} } }, linkedVirtualService: 'x' })), [
    ['L7C3007', ['spec']],
  ]);
  assert.deepEqual(found(target({ spec: { Echo: {} }, endpoints: [{}] })), [
    ['L7C3007', ['spec', 'endpoints', 0]],
  ]);
});

test('rules in both spec.rules and spec.listener.rules are L7C3007', () => {
  const rules = [{ action: { route: 'r' } }];
  assert.deepEqual(found(vs({ listener: { spec: { UDP: { port: 1 } }, rules }, rules })), [
    ['L7C3007', ['spec', 'rules']],
  ]);
});

test('an unknown key where a protocol key belongs names the valid protocols', () => {
  const { diags } = run(vs({ listener: { UPD: { port: 1 } } }));
  assert.deepEqual(
    diags.map((d) => [d.code, d.path]),
    [['L7C3006', ['spec', 'listener', 'UPD']]],
  );
  assert.match(diags[0]!.hint ?? '', /`UDP`/);
});

test('file, document and base path are carried; other objects are still validated', () => {
  const diags = new Diagnostics();
  const passed = validate(
    [
      raw(route({ destination: 5 }), 3, ['objects', 'r', 0]),
      raw(route({ destination: 'ok' }), 4),
      raw(
        {
          kind: 'Route',
          metadata: { name: 'X' },
          spec: { destination: 'a', extra: true, retry: { retry_on: 'x' } },
        },
        5,
      ),
    ],
    diags,
  );
  assert.equal(passed.length, 1);
  assert.equal(passed[0]!.src.document, 4);
  const first = diags.items[0]!;
  assert.equal(first.file, 'repo/x.yaml');
  assert.equal(first.document, 3);
  assert.deepEqual(first.path, ['objects', 'r', 0, 'spec', 'destination']);
  assert.equal(first.span, undefined); // spans come later, from the path
  // all errors of one object, each once
  const third = diags.items.filter((d) => d.document === 5).map((d) => [d.code, d.path]);
  assert.deepEqual(
    third.sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    [
      ['L7C3005', ['spec', 'extra']],
      ['L7C3006', ['metadata', 'name']],
      ['L7C3006', ['spec', 'retry', 'retry_on']],
    ],
  );
});

test('messages never carry ajv jargon and always name a field', () => {
  const { diags } = run(
    vs({ listener: { UDP: { port: 1 }, TCP: {} } }),
    vs({
      listener: { protocol: 'UDP', port: 'x', connect: { port: 0 } },
      rules: [{ action: { route: {} } }],
    }),
    target({ spec: { protocol: 'HTTP' } }),
    target({ cluster: { spec: { Echo: {} }, loadbalancer: { policy: 'Random' } } }),
    { kind: 'Proxy', metadata: meta, spec: { admin: { url: 'x' } } },
  );
  assert.ok(diags.length >= 6);
  for (const d of diags) {
    assert.doesNotMatch(
      d.message,
      /must NOT|must match|oneOf|anyOf|additionalProperties|schema|#\//,
      d.message,
    );
    assert.match(d.message, /`/, d.message);
    assert.ok(d.path, d.message);
  }
});
