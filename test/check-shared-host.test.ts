// Proxies with one `spec.address` share its ports (compiler/stages/check-shared-host.ts). The
// clashes themselves are in the bad-input corpus (L7C5021, L7C5016, L7C5018); here: what must not
// clash, and that a message names both proxies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compile } from '../compiler/pipeline.ts';
import { INVENTORY } from './support/bad-source.ts';

const enc = (s: string) => new TextEncoder().encode(s);

const proxy = (name: string, port: number, address: string, app: string) => `apiVersion: l7mp.io/v1
kind: Proxy
metadata: {name: ${name}, labels: {app: ${app}}}
spec:
  admin: {url: "http://127.0.0.1:${port}"}
  address: ${address}
`;

const vs = (name: string, app: string, listener: string) => `apiVersion: l7mp.io/v1
kind: VirtualService
metadata: {name: ${name}}
spec:
  selector: {matchLabels: {app: ${app}}}
  listener:
    spec: {${listener}}
    rules:
      - action: {route: {destination: udp-echo}}
`;

async function codes(files: Record<string, string>) {
  const res = await compile({
    files: Object.entries({ 'inventory.yaml': INVENTORY, ...files }).map(([path, text]) => ({
      path,
      bytes: enc(text),
    })),
  });
  return res.diagnostics;
}

test('no clash: different proxy addresses, two specific UDP addresses, different ports', async () => {
  const diags = await codes({
    // gateway and sidecar are at 127.0.0.1 (the quickstart inventory); far is elsewhere
    'proxies.yaml': proxy('far', 18003, '10.0.0.7', 'far'),
    'a.yaml': vs('near-tcp', 'l7mp-ingress', 'TCP: {port: 9100}'),
    'b.yaml': vs('far-tcp', 'far', 'TCP: {port: 9100}'),
    'c.yaml': vs('web', 'l7mp-ingress', 'UDP: {port: 9000, address: 127.0.0.1}'),
    'd.yaml': vs('web-2', 'worker', 'UDP: {port: 9000, address: 127.0.0.3}'),
    'e.yaml': vs('other', 'worker', 'UDP: {port: 9001}'),
    'f.yaml': vs('far-rest', 'far', 'TCP: {port: 18001}'), // gateway's REST port, other address
  });
  assert.deepEqual(
    diags.filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.file}: ${d.message}`),
    [],
  );
});

test('a clash names both proxies, both objects and the shared address', async () => {
  const diags = await codes({
    'a.yaml': vs('web', 'l7mp-ingress', 'UDP: {port: 9000}'),
    'b.yaml': vs('web-2', 'worker', 'UDP: {port: 9000, address: 127.0.0.1}'),
  });
  const clash = diags.find((d) => d.code === 'L7C5021');
  assert.ok(clash, diags.map((d) => d.code).join(', '));
  assert.equal(clash.file, 'b.yaml');
  for (const part of ['"sidecar"', '"gateway"', 'virtual service "web"', '127.0.0.1'])
    assert.ok(clash.message.includes(part), `${part} in: ${clash.message}`);
});
