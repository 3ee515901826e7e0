// The bad-input corpus: small in-memory repos (the quickstart inventory plus one broken thing) and the
// diagnostics each must produce: code, file, line and column. `‸` in a file marks where a diagnostic
// must point (see bad-source.ts for which position is the right one). Run by test/bad-input.test.ts.
import { bad, latin1, WORKER, type BadCase, type Expected } from './bad-source.ts';

export type { BadCase, Expected } from './bad-source.ts';
export { bytesOf } from './bad-source.ts';

// --- generated inputs ----------------------------------------------------------------------------

const MiB = 1024 * 1024;
let fifty: Uint8Array | undefined;
/** 50 MiB of YAML that would keep a parser busy: it must be rejected by size before parsing. */
const fiftyMegabytes = (): Uint8Array =>
  (fifty ??= new Uint8Array(
    Buffer.alloc(
      50 * MiB,
      '- {kind: Proxy, metadata: {name: p}, spec: {admin: {url: "http://127.0.0.1:1"}, address: 127.0.0.1}}\n',
    ),
  ));

/** `[[[…]]]`: 100,000 levels of flow sequence on one line. */
const deepFlowSequence = (): Uint8Array =>
  new TextEncoder().encode(`${'['.repeat(100_000)}${']'.repeat(100_000)}\n`);
/** `{a: {a: …1…}}`: 10,000 levels of flow mapping on one line. */
const deepFlowMapping = (): Uint8Array =>
  new TextEncoder().encode(`${'{a: '.repeat(10_000)}1${'}'.repeat(10_000)}\n`);
/**
 * A 4,000-level block mapping, one more space of indentation per level (line k: k-1 spaces, `a:`).
 * Block nesting costs quadratic bytes: 4,000 levels are 8.0 MB, just under the 8 MiB file limit
 * (10,000 levels would be 50 MB and only meet L7C1001).
 */
const BLOCK_LEVELS = 4000;
const deepBlockMapping = (): Uint8Array => {
  const lines: string[] = [];
  for (let k = 0; k < BLOCK_LEVELS - 1; k++) lines.push(`${' '.repeat(k)}a:`);
  lines.push(`${' '.repeat(BLOCK_LEVELS - 1)}a: 1`);
  return new TextEncoder().encode(lines.join('\n') + '\n');
};

/** A Proxy whose metadata.annotations nest `levels` block mappings deep (one space more per level). */
const deepProxy = (levels: number): string => {
  const lines = ['kind: Proxy', 'metadata:', '  name: deep', '  annotations:'];
  for (let k = 0; k < levels; k++) lines.push(`${' '.repeat(4 + k)}a:${k === levels - 1 ? ' x' : ''}`);
  lines.push('spec: {admin: {url: "http://127.0.0.1:18009"}, address: 127.0.0.1}');
  return lines.join('\n') + '\n';
};

/** Billion laughs: 9 levels (a…i) of 9 aliases each = 9^9 nodes once expanded. */
const laughs = (indent: string, marker: boolean): string => {
  const levels = 'abcdefghi';
  const out = [`${indent}a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]`];
  for (let i = 1; i < levels.length; i++) {
    const prev = levels[i - 1]!;
    const cur = levels[i]!;
    // the running count first passes 1,000,000 nodes inside the first *f of level g
    const first = marker && cur === 'g' ? `‸*${prev}` : `*${prev}`;
    out.push(`${indent}${cur}: &${cur} [${[first, ...Array(8).fill(`*${prev}`)].join(', ')}]`);
  }
  return out.join('\n') + '\n';
};

// A PNG signature and the start of its IHDR chunk: 89 50 4E 47 0D 0A 1A 0A 00 00 00 0D 'IHDR' …
// The first NUL is byte 8, after the two LFs (bytes 5 and 7): line 3, column 1.
const PNG = Uint8Array.from([
  0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00,
  0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x08, 0x06, 0x00, 0x00, 0x00, 0x5c, 0x72, 0xa8, 0x66,
]);

const at = (code: string, file: string, line: number, column: number): Expected => ({
  code,
  file,
  line,
  column,
});

// --- reusable documents ----------------------------------------------------------------------------

/** A VirtualService on the gateway proxy (UDP `port`) whose one rule is `rule` (indented as a list item). */
export const vs = (
  name: string,
  listener: string,
  rules: string,
  selector = 'matchLabels: {app: l7mp-ingress}',
) => `apiVersion: l7mp.io/v1
kind: VirtualService
metadata:
  name: ${name}
spec:
  selector:
    ${selector}
  listener:
    spec:
      ${listener}
    rules:
${rules}`;

export const ROUTE_ECHO = `      - action:
          route:
            destination: udp-echo
`;

export const proxy = (
  name: string,
  port: number,
  o: { labels?: string; address?: string } = {},
) => `apiVersion: l7mp.io/v1
kind: Proxy
metadata:
  name: ${name}
${o.labels ? `  labels: ${o.labels}\n` : ''}spec:
  admin: {url: "http://127.0.0.1:${port}"}
  address: ${o.address ?? '127.0.0.1'}
`;

// --- the corpus ----------------------------------------------------------------------------------

export const BAD_CASES: readonly BadCase[] = [
  // ---- L7C1xxx: input files ----
  bad('empty file', { 'empty.yaml': '‸' }, [['L7C1004', 'empty.yaml']]),
  bad('whitespace-only file', { 'blank.yaml': '‸   \n\t\n  \n\n' }, [['L7C1004', 'blank.yaml']]),
  bad('binary file: a PNG header saved as .yaml', { 'logo.yaml': PNG }, [], {
    extra: [at('L7C1002', 'logo.yaml', 3, 1)],
  }),
  bad(
    'NUL byte in the middle of a YAML file',
    { 'proxies.yaml': proxy('gw-2', 18003).replace('address: 127.0.0.1', 'address: 127.‸\u00000.0.1') },
    [['L7C1002', 'proxies.yaml']],
  ),
  bad(
    'non-UTF-8: a Latin-1 byte in a comment',
    (() => {
      // "é" as the single byte 0xE9: line 1, column 6
      return { 'proxies.yaml': latin1(`# caf\u00e9 proxies\n${proxy('gw-2', 18003)}`) };
    })(),
    [],
    { extra: [at('L7C1003', 'proxies.yaml', 1, 6)] },
  ),
  bad(
    'non-UTF-8: a Latin-1 byte in a value on a later line',
    { 'proxies.yaml': latin1(proxy('gw-2', 18003).replace('name: gw-2', 'name: r\u00e9seau')) },
    [],
    // line 4 is "  name: r\xe9seau": the byte is at column 10
    { extra: [at('L7C1003', 'proxies.yaml', 4, 10)] },
  ),
  bad('50 MB file is rejected by size, before parsing', { 'huge.yaml': fiftyMegabytes }, [], {
    extra: [at('L7C1001', 'huge.yaml', 1, 1)],
  }),

  // ---- L7C2001: YAML syntax ----
  bad(
    'bad indentation: a key indented deeper than its sibling',
    {
      'target.yaml': `apiVersion: l7mp.io/v1
kind: Target
metadata:
  name: backend
   ‸labels: {tier: db}
spec:
  spec: {protocol: UDP, port: 9000}
  endpoints: [{spec: {address: 127.0.0.1}}]
`,
    },
    [['L7C2001', 'target.yaml']],
  ),
  bad(
    'bad indentation: a key indented less than its sibling',
    {
      'target.yaml': `apiVersion: l7mp.io/v1
kind: Target
metadata:
  name: backend
 ‸labels: {tier: db}
spec:
  spec: {protocol: UDP, port: 9000}
  endpoints: [{spec: {address: 127.0.0.1}}]
`,
    },
    [['L7C2001', 'target.yaml']],
  ),
  bad(
    'tab used for indentation',
    {
      'target.yaml': `apiVersion: l7mp.io/v1
kind: Target
metadata:
‸\tname: backend
spec:
  spec: {protocol: UDP, port: 9000}
  endpoints: [{spec: {address: 127.0.0.1}}]
`,
    },
    [['L7C2001', 'target.yaml']],
  ),
  bad(
    'unclosed flow mapping',
    {
      'gateway.yaml': `apiVersion: l7mp.io/v1
kind: VirtualService
metadata:
  name: gateway
spec:
  selector:
    matchLabels: ‸{app: l7mp-ingress
  listener:
    spec:
      UDP: {port: 15053}
    rules:
      - action: {route: {destination: udp-echo}}
`,
    },
    [['L7C2001', 'gateway.yaml']],
  ),
  bad(
    'unclosed flow sequence',
    {
      'proxies.yaml': `apiVersion: l7mp.io/v1
kind: Proxy
metadata:
  name: gw-2
spec:
  admin: {url: "http://127.0.0.1:18003"}
  address: 127.0.0.1
  services: ‸[echo-svc, other-svc
---
${proxy('gw-3', 18004)}`,
    },
    [['L7C2001', 'proxies.yaml']],
  ),
  bad(
    'bad scalar: a plain value starting with the reserved indicator @',
    { 'proxies.yaml': proxy('gw-2', 18003).replace('address: 127.0.0.1', 'address: ‸@127.0.0.1') },
    [['L7C2001', 'proxies.yaml']],
  ),
  bad(
    'unterminated double-quoted string',
    {
      'proxies.yaml': `apiVersion: l7mp.io/v1
kind: Proxy
metadata:
  name: ‸"gw-2
spec:
  admin: {url: "http://127.0.0.1:18003"}
  address: 127.0.0.1
`,
    },
    [['L7C2001', 'proxies.yaml']],
  ),
  bad(
    'unterminated single-quoted string',
    {
      'proxies.yaml': `apiVersion: l7mp.io/v1
kind: Proxy
metadata:
  name: gw-2
spec:
  admin: {url: ‸'http://127.0.0.1:18003}
  address: 127.0.0.1
`,
    },
    [['L7C2001', 'proxies.yaml']],
  ),
  bad(
    'alias to an anchor that does not exist',
    {
      'gateway.yaml': vs(
        'gateway',
        'UDP: {port: 15053}',
        `      - action: {route: {destination: ‸*backend}}\n`,
      ),
    },
    [['L7C2001', 'gateway.yaml']],
  ),

  // ---- L7C2002: duplicate keys ----
  bad(
    'duplicate key in metadata',
    {
      'proxies.yaml': `apiVersion: l7mp.io/v1
kind: Proxy
metadata:
  name: gw-2
  labels: {app: l7mp-ingress}
  ‸name: gw-3
spec:
  admin: {url: "http://127.0.0.1:18003"}
  address: 127.0.0.1
`,
    },
    [['L7C2002', 'proxies.yaml']],
  ),
  bad(
    'duplicate top-level key (spec twice)',
    {
      'proxies.yaml': `apiVersion: l7mp.io/v1
kind: Proxy
metadata:
  name: gw-2
spec:
  admin: {url: "http://127.0.0.1:18003"}
  address: 127.0.0.1
‸spec:
  admin: {url: "http://127.0.0.1:18004"}
  address: 127.0.0.2
`,
    },
    [['L7C2002', 'proxies.yaml']],
  ),
  bad(
    'duplicate key in a flow mapping',
    {
      'proxies.yaml': proxy('gw-2', 18003).replace(
        '  name: gw-2',
        '  name: gw-2\n  labels: {x: "1", ‸x: "2"}',
      ),
    },
    [['L7C2002', 'proxies.yaml']],
  ),

  // ---- L7C2005: documents that are not mappings ----
  bad(
    'document is a list',
    {
      'proxies.yaml': `‸- apiVersion: l7mp.io/v1
  kind: Proxy
  metadata: {name: gw-2}
  spec: {admin: {url: "http://127.0.0.1:18003"}, address: 127.0.0.1}
`,
    },
    [['L7C2005', 'proxies.yaml']],
  ),
  bad('document is a scalar', { 'notes.yaml': '‸just some notes about the gateway\n' }, [
    ['L7C2005', 'notes.yaml'],
  ]),
  bad('second document is a number', { 'proxies.yaml': `${proxy('gw-2', 18003)}---\n‸42\n` }, [
    ['L7C2005', 'proxies.yaml'],
  ]),

  // ---- L7C3001/3002/3008: kind and apiVersion ----
  bad(
    'unknown kind',
    { 'gw.yaml': `apiVersion: l7mp.io/v1\nkind: ‸Gateway\nmetadata: {name: gw}\nspec: {}\n` },
    [['L7C3001', 'gw.yaml']],
  ),
  bad(
    'kind in the wrong case',
    { 'gw.yaml': `apiVersion: l7mp.io/v1\nkind: ‸virtualservice\nmetadata: {name: gw}\nspec: {}\n` },
    [['L7C3001', 'gw.yaml']],
  ),
  bad('missing kind', { 'gw.yaml': `‸apiVersion: l7mp.io/v1\nmetadata: {name: gw}\nspec: {}\n` }, [
    ['L7C3008', 'gw.yaml'],
  ]),
  bad(
    'wrong apiVersion (v2)',
    { 'proxies.yaml': proxy('gw-2', 18003).replace('apiVersion: l7mp.io/v1', 'apiVersion: ‸l7mp.io/v2') },
    [['L7C3002', 'proxies.yaml']],
  ),
  bad(
    'wrong apiVersion (the Kubernetes core v1)',
    {
      'svc.yaml': `apiVersion: ‸v1
kind: Service
metadata: {name: dns}
spec: {protocol: UDP, port: 53, endpoints: [{address: 10.0.0.10}]}
`,
    },
    [['L7C3002', 'svc.yaml']],
  ),

  // ---- L7C3003: missing required fields ----
  bad(
    'missing metadata.name',
    {
      'proxies.yaml': `apiVersion: l7mp.io/v1
kind: Proxy
‸metadata:
  labels: {app: l7mp-ingress}
spec:
  admin: {url: "http://127.0.0.1:18003"}
  address: 127.0.0.1
`,
    },
    [['L7C3003', 'proxies.yaml']],
  ),
  bad('missing spec', { 'proxies.yaml': `‸apiVersion: l7mp.io/v1\nkind: Proxy\nmetadata: {name: gw-2}\n` }, [
    ['L7C3003', 'proxies.yaml'],
  ]),
  bad(
    'missing spec.address of a Proxy',
    {
      'proxies.yaml': `apiVersion: l7mp.io/v1\nkind: Proxy\nmetadata: {name: gw-2}\n‸spec:\n  admin: {url: "http://127.0.0.1:18003"}\n`,
    },
    [['L7C3003', 'proxies.yaml']],
  ),

  // ---- L7C3006: invalid names ----
  bad('name with uppercase letters', { 'proxies.yaml': proxy('‸Gateway2', 18003) }, [
    ['L7C3006', 'proxies.yaml'],
  ]),
  bad('name with dots', { 'proxies.yaml': proxy('‸gw.prod', 18003) }, [['L7C3006', 'proxies.yaml']]),
  bad('name with whitespace', { 'proxies.yaml': proxy('‸"gate way"', 18003) }, [['L7C3006', 'proxies.yaml']]),
  bad('name longer than 63 characters', { 'proxies.yaml': proxy(`‸${'g'.repeat(64)}`, 18003) }, [
    ['L7C3006', 'proxies.yaml'],
  ]),
  bad(
    'invalid namespace',
    { 'proxies.yaml': proxy('gw-2', 18003).replace('  name: gw-2', '  name: gw-2\n  namespace: ‸Prod_1') },
    [['L7C3006', 'proxies.yaml']],
  ),

  // ---- L7C3004: wrong types ----
  bad('port as a string', { 'gateway.yaml': vs('gateway', 'UDP: {port: ‸"15053"}', ROUTE_ECHO) }, [
    ['L7C3004', 'gateway.yaml'],
  ]),
  bad(
    'labels as a list',
    {
      'proxies.yaml': proxy('gw-2', 18003).replace('  name: gw-2', '  name: gw-2\n  labels: ‸[app, gateway]'),
    },
    [['L7C3004', 'proxies.yaml']],
  ),
  bad(
    'rules as a mapping',
    {
      'gateway.yaml': `apiVersion: l7mp.io/v1
kind: VirtualService
metadata:
  name: gateway
spec:
  selector:
    matchLabels: {app: l7mp-ingress}
  listener:
    spec:
      UDP: {port: 15053}
    ‸rules:
      action:
        route: {destination: udp-echo}
`,
    },
    [['L7C3004', 'gateway.yaml']],
  ),
  bad('kind as a list', { 'proxies.yaml': proxy('gw-2', 18003).replace('kind: Proxy', 'kind: ‸[Proxy]') }, [
    ['L7C3004', 'proxies.yaml'],
  ]),

  // ---- L7C3006: out-of-range values ----
  bad(
    'port above 65535',
    {
      'svc.yaml': `apiVersion: l7mp.io/v1\nkind: Service\nmetadata: {name: big}\nspec:\n  protocol: UDP\n  port: ‸70000\n`,
    },
    [['L7C3006', 'svc.yaml']],
  ),
  bad('port 0', { 'gateway.yaml': vs('gateway', 'UDP: {port: ‸0}', ROUTE_ECHO) }, [
    ['L7C3006', 'gateway.yaml'],
  ]),
  bad(
    'negative num_retries',
    {
      'gateway.yaml': vs(
        'gateway',
        'UDP: {port: 15053}',
        `      - action:
          route:
            destination: udp-echo
            retry: {retry_on: always, num_retries: ‸-1}
`,
      ),
    },
    [['L7C3006', 'gateway.yaml']],
  ),

  // ---- L7C3005: unknown fields, at several depths (the position of the unknown KEY) ----
  bad('unknown top-level field', { 'proxies.yaml': `${proxy('gw-2', 18003)}‸status: {ready: true}\n` }, [
    ['L7C3005', 'proxies.yaml'],
  ]),
  bad(
    'unknown field in metadata (label for labels)',
    { 'proxies.yaml': proxy('gw-2', 18003).replace('  name: gw-2', '  name: gw-2\n  ‸label: {app: x}') },
    [['L7C3005', 'proxies.yaml']],
  ),
  bad(
    'unknown field in spec.admin',
    {
      'proxies.yaml': proxy('gw-2', 18003).replace(
        'admin: {url: "http://127.0.0.1:18003"}',
        'admin: {url: "http://127.0.0.1:18003", ‸token: abc}',
      ),
    },
    [['L7C3005', 'proxies.yaml']],
  ),
  bad(
    'unknown field in a selector',
    { 'gateway.yaml': vs('gateway', 'UDP: {port: 15053}', ROUTE_ECHO, '‸matchLabel: {app: l7mp-ingress}') },
    [['L7C3005', 'gateway.yaml']],
  ),
  bad(
    'unknown field in the UDP listener fields',
    { 'gateway.yaml': vs('gateway', 'UDP: {port: 15053, ‸reuse_port: true}', ROUTE_ECHO) },
    [['L7C3005', 'gateway.yaml']],
  ),
  bad(
    'unknown field in a rule action',
    {
      'gateway.yaml': vs(
        'gateway',
        'UDP: {port: 15053}',
        `      - action:
          route: {destination: udp-echo}
          ‸redirect: udp-echo
`,
      ),
    },
    [['L7C3005', 'gateway.yaml']],
  ),
  bad(
    'unknown field in a retry policy',
    {
      'gateway.yaml': vs(
        'gateway',
        'UDP: {port: 15053}',
        `      - action:
          route:
            destination: udp-echo
            retry: {retry_on: always, ‸retries: 3}
`,
      ),
    },
    [['L7C3005', 'gateway.yaml']],
  ),
  bad(
    'unknown field in an endpoint of an inline target (depth 9)',
    {
      'gateway.yaml': vs(
        'gateway',
        'UDP: {port: 15053}',
        `      - action:
          route:
            destination:
              spec: {UDP: {port: 15055}}
              endpoints:
                - spec: {address: 127.0.0.1, ‸portt: 15055}
`,
      ),
    },
    [['L7C3005', 'gateway.yaml']],
  ),

  // ---- L7C3006: invalid enum values ----
  bad(
    'invalid Service protocol',
    {
      'svc.yaml': `apiVersion: l7mp.io/v1\nkind: Service\nmetadata: {name: sctp}\nspec:\n  protocol: ‸SCTP\n  port: 9\n`,
    },
    [['L7C3006', 'svc.yaml']],
  ),
  bad(
    'invalid listener protocol (flat form)',
    {
      'gateway.yaml': `apiVersion: l7mp.io/v1
kind: VirtualService
metadata: {name: quic}
spec:
  selector: {matchLabels: {app: l7mp-ingress}}
  listener: {protocol: ‸QUIC, port: 4433}
  rules:
    - action: {route: {destination: udp-echo}}
`,
    },
    [['L7C3006', 'gateway.yaml']],
  ),
  bad(
    'invalid load-balancer policy',
    {
      'target.yaml': `apiVersion: l7mp.io/v1
kind: Target
metadata: {name: backend}
spec:
  spec: {protocol: UDP, port: 9000}
  endpoints: [{spec: {address: 127.0.0.1}}, {spec: {address: 127.0.0.2}}]
  loadbalancer: {policy: ‸RoundRobin}
`,
    },
    [['L7C3006', 'target.yaml']],
  ),
  bad(
    'invalid retry_on',
    {
      'gateway.yaml': vs(
        'gateway',
        'UDP: {port: 15053}',
        `      - action:
          route:
            destination: udp-echo
            retry: {retry_on: ‸sometimes, num_retries: 3}
`,
      ),
    },
    [['L7C3006', 'gateway.yaml']],
  ),
  bad(
    'invalid selector operator',
    {
      'gateway.yaml': vs(
        'gateway',
        'UDP: {port: 15053}',
        ROUTE_ECHO,
        'matchExpressions: [{key: app, operator: ‸Equals, values: [l7mp-ingress]}]',
      ),
    },
    [['L7C3006', 'gateway.yaml']],
  ),
  bad(
    'invalid admin URL scheme',
    {
      'proxies.yaml': proxy('gw-2', 18003).replace(
        'admin: {url: "http://127.0.0.1:18003"}',
        'admin: {url: ‸"ftp://127.0.0.1:18003"}',
      ),
    },
    [['L7C3006', 'proxies.yaml']],
  ),

  // ---- protocols that cannot be clusters ----
  bad(
    'HTTP as a cluster protocol (inline target, flat form)',
    {
      'target.yaml': `apiVersion: l7mp.io/v1
kind: Target
metadata: {name: web}
spec:
  spec: {protocol: ‸HTTP, port: 8080}
  endpoints: [{spec: {address: 127.0.0.1}}]
`,
    },
    [['L7C3006', 'target.yaml']],
  ),
  bad(
    'L7mpController as a cluster protocol (keyed form)',
    {
      'target.yaml': `apiVersion: l7mp.io/v1
kind: Target
metadata: {name: ctl}
spec:
  spec: {‸L7mpController: {}}
`,
    },
    [['L7C3006', 'target.yaml']],
  ),
  bad(
    'HTTP as a cluster protocol (destination names a VirtualService with an HTTP listener)',
    {
      'web.yaml': `apiVersion: l7mp.io/v1
kind: VirtualService
metadata: {name: web}
spec:
  selector: {matchLabels: {app: l7mp-ingress}}
  listener:
    spec: {HTTP: {port: 8080}}
`,
      'gateway.yaml': vs('gateway', 'UDP: {port: 15053}', `      - action: {route: {destination: ‸web}}\n`),
    },
    [['L7C5009', 'gateway.yaml']],
  ),

  // ---- the two listener forms mixed wrongly; shapes ----
  bad(
    'rules inside a flat-form listener (they belong at spec.rules)',
    {
      'gateway.yaml': `apiVersion: l7mp.io/v1
kind: VirtualService
metadata: {name: gateway}
spec:
  selector: {matchLabels: {app: l7mp-ingress}}
  listener:
    protocol: UDP
    port: 15053
    ‸rules:
      - action: {route: {destination: udp-echo}}
`,
    },
    [['L7C3005', 'gateway.yaml']],
  ),
  bad(
    'listener mixes the {spec: …} form and the flat {protocol, port} form',
    {
      'gateway.yaml': `apiVersion: l7mp.io/v1
kind: VirtualService
metadata: {name: gateway}
spec:
  selector: {matchLabels: {app: l7mp-ingress}}
  ‸listener:
    spec: {UDP: {port: 15053}}
    protocol: UDP
    port: 15053
    rules:
      - action: {route: {destination: udp-echo}}
`,
    },
    [['L7C3007', 'gateway.yaml']],
  ),
  bad(
    'rules both at spec.rules and at spec.listener.rules',
    {
      'gateway.yaml': `apiVersion: l7mp.io/v1
kind: VirtualService
metadata: {name: gateway}
spec:
  selector: {matchLabels: {app: l7mp-ingress}}
  listener:
    spec: {UDP: {port: 15053}}
    rules:
      - action: {route: {destination: udp-echo}}
  ‸rules:
    - action: {route: {destination: udp-echo}}
`,
    },
    [['L7C3007', 'gateway.yaml']],
  ),
  bad(
    'Target with both an inline spec and linkedVirtualService',
    {
      'worker.yaml': WORKER,
      'target.yaml': `apiVersion: l7mp.io/v1
kind: Target
metadata: {name: to-worker}
‸spec:
  spec: {protocol: UDP, port: 15054}
  linkedVirtualService: worker
`,
    },
    [['L7C3007', 'target.yaml']],
  ),
  bad(
    'listener spec with two protocol keys',
    {
      'gateway.yaml': vs('gateway', 'UDP: {port: 15053}\n      TCP: {port: 15053}', ROUTE_ECHO).replace(
        '    spec:\n      UDP',
        '    ‸spec:\n      UDP',
      ),
    },
    [['L7C3007', 'gateway.yaml']],
  ),

  // ---- L7C4xxx: dangling references, every kind ----
  bad(
    'dangling destination',
    {
      'gateway.yaml': vs(
        'gateway',
        'UDP: {port: 15053}',
        `      - action:\n          route:\n            destination: ‸wroker\n`,
      ),
    },
    [['L7C4002', 'gateway.yaml']],
  ),
  bad(
    'dangling destination in another namespace',
    {
      'worker.yaml': WORKER,
      'gateway.yaml': vs(
        'gateway',
        'UDP: {port: 15053}',
        `      - action: {route: {destination: ‸worker.prod}}\n`,
      ),
    },
    [['L7C4002', 'gateway.yaml']],
  ),
  bad(
    'dangling ingress chain entry',
    {
      'gateway.yaml': vs(
        'gateway',
        'UDP: {port: 15053}',
        `      - action:
          route:
            destination: udp-echo
            ingress: [udp-echo, ‸no-such-filter]
`,
      ),
    },
    [['L7C4002', 'gateway.yaml']],
  ),
  bad(
    'dangling egress chain entry',
    {
      'gateway.yaml': vs(
        'gateway',
        'UDP: {port: 15053}',
        `      - action:
          route:
            destination: udp-echo
            egress:
              - ‸no-such-filter
`,
      ),
    },
    [['L7C4002', 'gateway.yaml']],
  ),
  bad(
    'dangling named route in action.route',
    { 'gateway.yaml': vs('gateway', 'UDP: {port: 15053}', `      - action: {route: ‸missing-route}\n`) },
    [['L7C4003', 'gateway.yaml']],
  ),
  bad(
    'dangling destination inside a Route object',
    {
      'route.yaml': `apiVersion: l7mp.io/v1\nkind: Route\nmetadata: {name: to-backend}\nspec:\n  destination: ‸backend\n`,
      'gateway.yaml': vs('gateway', 'UDP: {port: 15053}', `      - action: {route: to-backend}\n`),
    },
    [['L7C4002', 'route.yaml']],
  ),
  bad(
    'dangling linkedVirtualService',
    {
      'worker.yaml': WORKER,
      'target.yaml': `apiVersion: l7mp.io/v1\nkind: Target\nmetadata: {name: to-worker}\nspec:\n  linkedVirtualService: ‸wokrer\n`,
    },
    [['L7C4004', 'target.yaml']],
  ),
  bad(
    'dangling Rule.virtualService',
    {
      'worker.yaml': WORKER,
      'rule.yaml': `apiVersion: l7mp.io/v1
kind: Rule
metadata: {name: user-a}
spec:
  virtualService: ‸wroker
  rule:
    action: {route: {destination: udp-echo}}
`,
    },
    [['L7C4005', 'rule.yaml']],
  ),
  bad(
    'dangling action.apply',
    { 'gateway.yaml': vs('gateway', 'UDP: {port: 15053}', `      - action: {apply: ‸no-such-vs}\n`) },
    [['L7C4009', 'gateway.yaml']],
  ),
  bad(
    'destination names a stub VirtualService with no listener and no service',
    {
      'stub.yaml': `apiVersion: l7mp.io/v1\nkind: VirtualService\nmetadata: {name: stub}\nspec: {}\n`,
      'gateway.yaml': vs('gateway', 'UDP: {port: 15053}', `      - action: {route: {destination: ‸stub}}\n`),
    },
    [['L7C4008', 'gateway.yaml']],
  ),
  bad(
    'rule with neither route nor apply',
    {
      'gateway.yaml': vs(
        'gateway',
        'UDP: {port: 15053}',
        `      - ‸action:\n          rewrite: [{path: /labels/user, value: a}]\n`,
      ),
    },
    [['L7C4010', 'gateway.yaml']],
  ),
  bad(
    'rule name the proxy cannot take',
    {
      'gateway.yaml': vs(
        'gateway',
        'UDP: {port: 15053}',
        `      - name: ‸"catch all"\n        action: {route: {destination: udp-echo}}\n`,
      ),
    },
    [['L7C4006', 'gateway.yaml']],
  ),

  // ---- L7C4001: duplicate names ----
  bad(
    'duplicate Target name across two files',
    {
      'svc/one.yaml': `apiVersion: l7mp.io/v1\nkind: Target\nmetadata:\n  name: backend\nspec:\n  spec: {protocol: UDP, port: 9000}\n  endpoints: [{spec: {address: 127.0.0.1}}]\n`,
      'svc/two.yaml': `apiVersion: l7mp.io/v1\nkind: Target\nmetadata:\n  name: ‸backend\nspec:\n  spec: {protocol: UDP, port: 9001}\n  endpoints: [{spec: {address: 127.0.0.2}}]\n`,
    },
    [['L7C4001', 'svc/two.yaml']],
  ),
  bad(
    'duplicate VirtualService name across two files',
    {
      'a/worker.yaml': WORKER,
      'b/worker-copy.yaml': WORKER.replace('  name: worker', '  name: ‸worker').replace('15054', '15064'),
    },
    [['L7C4001', 'b/worker-copy.yaml']],
  ),
  bad('duplicate Proxy name (a second gateway)', { 'more-proxies.yaml': proxy('‸gateway', 18009) }, [
    ['L7C4001', 'more-proxies.yaml'],
  ]),

  // ---- L7C5001/5016: listener clashes on one proxy ----
  bad(
    'two UDP listeners on one proxy, same port',
    {
      'a-dns.yaml': vs('dns', 'UDP: {port: 15053}', ROUTE_ECHO),
      'b-gateway.yaml': vs('gateway', 'UDP: {port: ‸15053}', ROUTE_ECHO),
    },
    [['L7C5001', 'b-gateway.yaml']],
  ),
  bad(
    'two TCP listeners on one proxy, same port',
    {
      'a-web.yaml': vs('web', 'TCP: {port: 9000}', ROUTE_ECHO),
      'b-api.yaml': vs('api', 'TCP: {port: ‸9000}', ROUTE_ECHO),
    },
    [['L7C5001', 'b-api.yaml']],
  ),
  bad(
    'TCP and WebSocket listeners on one proxy, same port',
    {
      'a-tcp.yaml': vs('tcp-in', 'TCP: {port: 8080}', ROUTE_ECHO),
      'b-ws.yaml': vs('ws-in', 'WebSocket: {port: ‸8080}', ROUTE_ECHO),
    },
    [['L7C5001', 'b-ws.yaml']],
  ),
  bad(
    'two UNIX-socket listeners on one proxy, same path',
    {
      'a-uds.yaml': vs('uds-a', 'UnixDomainSocket: {filename: /tmp/l7mp-in.sock}', ROUTE_ECHO),
      'b-uds.yaml': vs('uds-b', 'UnixDomainSocket: {filename: ‸/tmp/l7mp-in.sock}', ROUTE_ECHO),
    },
    [['L7C5001', 'b-uds.yaml']],
  ),
  bad(
    'JSONSocket over UDP and a UDP listener on one proxy, same port',
    {
      'a-udp.yaml': vs('plain', 'UDP: {port: 15090}', ROUTE_ECHO),
      'b-json.yaml': vs('framed', 'JSONSocket: {transport: {UDP: {port: ‸15090}}}', ROUTE_ECHO),
    },
    [['L7C5001', 'b-json.yaml']],
  ),
  bad(
    "a TCP listener on the proxy's REST controller port",
    { 'gateway.yaml': vs('gateway', 'TCP: {port: ‸18001}', ROUTE_ECHO) },
    [['L7C5016', 'gateway.yaml']],
  ),
  bad(
    "a WebSocket listener on the sidecar's REST controller port",
    { 'ws.yaml': vs('ws-in', 'WebSocket: {port: ‸18002}', ROUTE_ECHO, 'matchService: echo-svc') },
    [['L7C5016', 'ws.yaml']],
  ),

  // ---- proxies with one address share its ports (both quickstart proxies are at 127.0.0.1) ----
  bad(
    'UDP listeners on two proxies with one address, same port',
    {
      'a-web.yaml': vs('web', 'UDP: {port: 9000}', ROUTE_ECHO),
      'b-worker.yaml': vs('worker-2', 'UDP: {port: ‸9000}', ROUTE_ECHO, 'matchLabels: {app: worker}'),
    },
    [['L7C5021', 'b-worker.yaml']],
  ),
  bad(
    'one TCP VirtualService selecting two proxies with one address',
    {
      'proxies.yaml': proxy('gw-2', 18003, { labels: '{app: l7mp-ingress}' }),
      'edge.yaml': vs('edge', 'TCP: {port: ‸9100}', ROUTE_ECHO),
    },
    [['L7C5021', 'edge.yaml']],
  ),
  bad(
    "a listener on another proxy's REST controller port, same address",
    { 'b-worker.yaml': vs('worker-2', 'TCP: {port: ‸18001}', ROUTE_ECHO, 'matchLabels: {app: worker}') },
    [['L7C5016', 'b-worker.yaml']],
    { forbid: ['L7C5021'] },
  ),
  bad(
    'two proxies with one REST URL',
    { 'proxies.yaml': proxy('gw-2', 18001).replace('url: "http', 'url: ‸"http') },
    [['L7C5018', 'proxies.yaml']],
  ),
  // ---- L7C5002: framing loss (warning) ----
  bad(
    'UDP listener routed to a TCP target (framing loss, warning)',
    {
      'target.yaml': `apiVersion: l7mp.io/v1\nkind: Target\nmetadata: {name: tcp-backend}\nspec:\n  spec: {protocol: TCP, port: 9000}\n  endpoints: [{spec: {address: 127.0.0.1}}]\n`,
      'gateway.yaml': vs(
        'gateway',
        'UDP: {port: 15053}',
        `      - action: {route: {destination: ‸tcp-backend}}\n`,
      ),
    },
    [['L7C5002', 'gateway.yaml']],
  ),
  bad(
    'WebSocket listener routed to an inline UNIX-socket target (framing loss, warning)',
    {
      'gateway.yaml': vs(
        'gateway',
        'WebSocket: {port: 8081}',
        `      - action:
          route:
            ‸destination:
              spec: {protocol: UnixDomainSocket}
              endpoints: [{spec: {address: /tmp/backend.sock}}]
`,
      ),
    },
    [['L7C5002', 'gateway.yaml']],
  ),

  // ---- L7C5003/5004: selectors ----
  bad(
    'VirtualService with rules selecting a naked Service',
    {
      'gateway.yaml': `apiVersion: l7mp.io/v1
kind: VirtualService
metadata: {name: gateway}
spec:
  ‸selector:
    matchService: udp-echo
  listener:
    spec: {UDP: {port: 15053}}
    rules:
      - action: {route: {destination: udp-echo}}
`,
    },
    [['L7C5003', 'gateway.yaml']],
  ),
  bad(
    'VirtualService selector matching no proxy (warning)',
    {
      'gateway.yaml': `apiVersion: l7mp.io/v1
kind: VirtualService
metadata: {name: gateway}
spec:
  ‸selector:
    matchLabels: {app: nowhere}
  listener:
    spec: {UDP: {port: 15053}}
    rules:
      - action: {route: {destination: udp-echo}}
`,
    },
    [['L7C5004', 'gateway.yaml']],
  ),
  bad(
    'Target selector matching no proxy (warning)',
    {
      'target.yaml': `apiVersion: l7mp.io/v1
kind: Target
metadata: {name: backend}
spec:
  selector: ‸{matchExpressions: [{key: app, operator: In, values: [db, cache]}]}
  spec: {protocol: UDP, port: 9000}
  endpoints: [{spec: {address: 127.0.0.1}}]
`,
    },
    [['L7C5004', 'target.yaml']],
  ),

  // ---- L7C5005: unreachable rules (warning) ----
  bad(
    'rule after a catch-all (warning)',
    {
      'gateway.yaml': vs(
        'gateway',
        'UDP: {port: 15053}',
        `      - action: {route: {destination: udp-echo}}
      - ‸match: {op: test, path: /IP/src_addr, value: 127.0.0.1}
        action: {route: {destination: udp-echo}}
`,
      ),
    },
    [['L7C5005', 'gateway.yaml']],
  ),
  bad(
    'Rule object appended after a catch-all (warning)',
    {
      'worker.yaml': WORKER,
      'rule.yaml': `apiVersion: l7mp.io/v1
kind: Rule
metadata: {name: user-a}
spec:
  virtualService: worker
  ‸rule:
    match: {op: test, path: /labels/user, value: a}
    action: {route: {destination: udp-echo}}
`,
    },
    [['L7C5005', 'rule.yaml']],
  ),

  // ---- L7C5006: UDP singleton ----
  bad(
    'UDP singleton listener without connect',
    {
      'gateway.yaml': vs(
        'gateway',
        '‸UDP:\n        port: 15060\n        options: {mode: singleton}',
        ROUTE_ECHO,
      ),
    },
    [['L7C5006', 'gateway.yaml']],
  ),
  bad(
    'UDP singleton listener with connect.address but no connect.port',
    {
      'gateway.yaml': vs(
        'gateway',
        'UDP:\n        port: 15060\n        connect: ‸{address: 127.0.0.1}\n        options: {mode: singleton}',
        ROUTE_ECHO,
      ),
    },
    [['L7C5006', 'gateway.yaml']],
  ),

  // ---- L7C5007: malformed JSON predicates ----
  bad(
    'JSON predicate without op',
    {
      'gateway.yaml': vs(
        'gateway',
        'UDP: {port: 15053}',
        `      - match: ‸{path: /IP/src_addr, value: 127.0.0.1}\n        action: {route: {destination: udp-echo}}\n`,
      ),
    },
    [['L7C5007', 'gateway.yaml']],
  ),
  bad(
    'JSON predicate with an unknown op',
    {
      'gateway.yaml': vs(
        'gateway',
        'UDP: {port: 15053}',
        `      - match: {op: ‸equals, path: /IP/src_addr, value: 127.0.0.1}\n        action: {route: {destination: udp-echo}}\n`,
      ),
    },
    [['L7C5007', 'gateway.yaml']],
  ),
  bad(
    'JSON predicate with a path that is not a JSON pointer',
    {
      'gateway.yaml': vs(
        'gateway',
        'UDP: {port: 15053}',
        `      - match: {op: test, path: ‸IP/src_addr, value: 127.0.0.1}\n        action: {route: {destination: udp-echo}}\n`,
      ),
    },
    [['L7C5007', 'gateway.yaml']],
  ),
  bad(
    'JSON predicate with an invalid regular expression',
    {
      'gateway.yaml': vs(
        'gateway',
        'UDP: {port: 15053}',
        `      - match: {op: matches, path: /labels/user, value: ‸"([a-z"}\n        action: {route: {destination: udp-echo}}\n`,
      ),
    },
    [['L7C5007', 'gateway.yaml']],
  ),
  bad(
    'JSON predicate {match: "*"} (a dumped catch-all that never matches)',
    {
      'gateway.yaml': vs(
        'gateway',
        'UDP: {port: 15053}',
        `      - match: ‸{match: "*"}\n        action: {route: {destination: udp-echo}}\n`,
      ),
    },
    [['L7C5007', 'gateway.yaml']],
  ),
  bad(
    'JSON predicate: a bad op nested inside and.apply',
    {
      'gateway.yaml': vs(
        'gateway',
        'UDP: {port: 15053}',
        `      - match:
          op: and
          apply:
            - {op: test, path: /labels/user, value: a}
            - {op: ‸bogus, path: /labels/tier}
        action: {route: {destination: udp-echo}}
`,
      ),
    },
    [['L7C5007', 'gateway.yaml']],
  ),

  // ---- L7C5008: malformed rewrite paths ----
  bad(
    'rewrite path without a leading slash',
    {
      'gateway.yaml': vs(
        'gateway',
        'UDP: {port: 15053}',
        `      - action:
          rewrite: [{path: ‸labels/session_id, value: s1}]
          route: {destination: udp-echo}
`,
      ),
    },
    [['L7C5008', 'gateway.yaml']],
  ),
  bad(
    'rewrite path with a bad ~ escape',
    {
      'gateway.yaml': vs(
        'gateway',
        'UDP: {port: 15053}',
        `      - action:
          rewrite:
            - path: /labels/a
              value: ok
            - path: ‸/labels/a~2b
              value: s1
          route: {destination: udp-echo}
`,
      ),
    },
    [['L7C5008', 'gateway.yaml']],
  ),

  // ---- L7C5010/5014: virtual clusters ----
  bad(
    'endpoints on an Echo cluster (Target)',
    {
      'target.yaml': `apiVersion: l7mp.io/v1
kind: Target
metadata: {name: echo}
spec:
  spec: {protocol: Echo}
  ‸endpoints:
    - spec: {address: 127.0.0.1}
`,
    },
    [['L7C5010', 'target.yaml']],
  ),
  bad(
    'endpoints on an inline Echo destination',
    {
      'gateway.yaml': vs(
        'gateway',
        'UDP: {port: 15053}',
        `      - action:
          route:
            destination:
              spec: {Echo: {}}
              endpoints: ‸[{spec: {address: 127.0.0.1}}]
`,
      ),
    },
    [['L7C5010', 'gateway.yaml']],
  ),
  bad(
    'Prometheus behind a TCP listener',
    {
      'target.yaml': `apiVersion: l7mp.io/v1\nkind: Target\nmetadata: {name: prom}\nspec:\n  spec: {protocol: Prometheus}\n`,
      'metrics.yaml': vs('metrics', 'TCP: {port: 9100}', `      - action: {route: {destination: ‸prom}}\n`),
    },
    [['L7C5014', 'metrics.yaml']],
  ),

  // ---- L7C5012: rule position ----
  bad(
    'Rule position past the end of the rule list',
    {
      'worker.yaml': WORKER,
      'rule.yaml': `apiVersion: l7mp.io/v1
kind: Rule
metadata: {name: user-a}
spec:
  virtualService: worker
  position: ‸5
  rule:
    match: {op: test, path: /labels/user, value: a}
    action: {route: {destination: udp-echo}}
`,
    },
    [['L7C5012', 'rule.yaml']],
  ),

  // ---- CUE ----
  bad(
    'CUE syntax error: a stray closing brace',
    {
      'mesh/gw.cue': `kind: "Proxy"
metadata: name: "gw-9"
spec: {admin: url: "http://127.0.0.1:18009", address: "127.0.0.1"}
‸}
`,
    },
    [['L7C2101', 'mesh/gw.cue']],
    { cue: true },
  ),
  bad(
    'CUE syntax error: an unterminated string',
    {
      'mesh/gw.cue': `kind: "Proxy"
metadata: name: ‸"gw-9
spec: {admin: url: "http://127.0.0.1:18009", address: "127.0.0.1"}
`,
    },
    [['L7C2101', 'mesh/gw.cue']],
    { cue: true },
  ),
  bad(
    'CUE conflicting values',
    {
      'mesh/gw.cue': `kind: "Proxy"
metadata: name: ‸"gw-9"
metadata: name: "gw-10"
spec: {admin: url: "http://127.0.0.1:18009", address: "127.0.0.1"}
`,
    },
    [['L7C2102', 'mesh/gw.cue']],
    { cue: true },
  ),
  bad(
    'CUE object violating the schema: port as a string',
    {
      'mesh/svc.cue': `package mesh

worker: {
	kind: "Service"
	metadata: name: "worker-svc"
	spec: {protocol: "UDP", port: ‸"9999", endpoints: [{address: "127.0.0.1"}]}
}
`,
    },
    [['L7C2103', 'mesh/svc.cue']],
    { cue: true },
  ),
  bad(
    'CUE object violating the schema: an unknown field',
    {
      'mesh/gw.cue': `kind: "Proxy"
metadata: {name: "gw-9", ‸colour: "red"}
spec: {admin: url: "http://127.0.0.1:18009", address: "127.0.0.1"}
`,
    },
    [['L7C2103', 'mesh/gw.cue']],
    { cue: true },
  ),
  bad(
    'CUE object with a dangling destination',
    {
      'mesh/gw.cue': `kind: "VirtualService"
metadata: name: "gw-cue"
spec: {
	selector: matchLabels: app: "l7mp-ingress"
	listener: {
		spec: UDP: port: 15070
		rules: [{action: route: destination: ‸"nowhere"}]
	}
}
`,
    },
    [['L7C4002', 'mesh/gw.cue']],
    { cue: true },
  ),

  // ---- one file, a good document and a broken one ----
  bad(
    'good document then a syntax error in the next document',
    {
      'backend.yaml': `apiVersion: l7mp.io/v1
kind: Target
metadata: {name: backend}
spec:
  spec: {protocol: UDP, port: 9000}
  endpoints: [{spec: {address: 127.0.0.1}}]
---
apiVersion: l7mp.io/v1
kind: Target
metadata: {name: ‸"backend-2}
spec:
  spec: {protocol: UDP, port: 9001}
`,
      'gateway.yaml': vs(
        'gateway',
        'UDP: {port: 15053}',
        `      - action: {route: {destination: backend}}\n`,
      ),
    },
    [['L7C2001', 'backend.yaml']],
    { forbid: ['L7C4002'] },
  ),
  bad(
    'good document then a schema error in the next document',
    {
      'backend.yaml': `apiVersion: l7mp.io/v1
kind: Target
metadata: {name: backend}
spec:
  spec: {protocol: UDP, port: 9000}
  endpoints: [{spec: {address: 127.0.0.1}}]
---
apiVersion: l7mp.io/v1
kind: Target
metadata: {name: backend-2}
spec:
  spec: {protocol: UDP, port: 9001}
  ‸endpoint: [{spec: {address: 127.0.0.2}}]
`,
      'gateway.yaml': vs(
        'gateway',
        'UDP: {port: 15053}',
        `      - action: {route: {destination: backend}}\n`,
      ),
    },
    [['L7C3005', 'backend.yaml']],
    { forbid: ['L7C4002'] },
  ),

  // ---- L7C2003: alias bombs ----
  bad('alias bomb: billion laughs, 9 levels of 9 aliases', { 'lol.yaml': laughs('', true) }, [
    ['L7C2003', 'lol.yaml'],
  ]),
  bad(
    'alias bomb inside a rule match (where any JSON is allowed)',
    {
      'gateway.yaml': vs(
        'bomb',
        'UDP: {port: 15099}',
        `      - match:\n${laughs('          ', true)}        action: {route: {destination: udp-echo}}\n`,
      ),
    },
    [['L7C2003', 'gateway.yaml']],
  ),

  // ---- L7C2004: deep nesting (limit: 64 levels; the root collection is level 1) ----
  bad('70 nested flow sequences', { 'deep.yaml': `${'['.repeat(70)}${']'.repeat(70)}\n` }, [], {
    extra: [at('L7C2004', 'deep.yaml', 1, 65)],
  }),
  bad('70-level block mapping inside a Proxy', { 'deep.yaml': deepProxy(70) }, [], {
    // root: level 1; metadata: 2; annotations: 3 (line 5, column 5); line 5 + k holds level 3 + k at
    // column 5 + k, so level 65 starts at line 67, column 67
    extra: [at('L7C2004', 'deep.yaml', 67, 67)],
  }),
  bad('100,000 nested flow sequences', { 'deep.yaml': deepFlowSequence }, [], {
    extra: [at('L7C2004', 'deep.yaml', 1, 65)],
  }),
  bad('10,000 nested flow mappings', { 'deep.yaml': deepFlowMapping }, [], {
    // each level is "{a: " (4 characters): the 65th "{" is at column 4 * 64 + 1
    extra: [at('L7C2004', 'deep.yaml', 1, 257)],
  }),
  bad(`${BLOCK_LEVELS}-level block mapping`, { 'deep.yaml': deepBlockMapping }, [], {
    // line k holds level k, indented k-1 spaces: level 65 is line 65, column 65
    extra: [at('L7C2004', 'deep.yaml', 65, 65)],
  }),
];
