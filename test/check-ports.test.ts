// Port clashes across proxies that share an address (compiler/stages/check-ports.ts). The clashes
// themselves are in the bad-input corpus (L7C5001, L7C5021, L7C5016, L7C5018); here: what must not
// clash, and that a message names both proxies.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compile } from '../compiler/pipeline.ts';
import { INVENTORY } from './support/bad-source.ts';
import { proxy, ROUTE_ECHO, vs } from './support/bad-cases.ts';

const enc = (s: string) => new TextEncoder().encode(s);

/** The quickstart inventory (gateway and sidecar, both at 127.0.0.1) plus `files`. */
async function diagnosticsOf(files: Record<string, string>) {
  const res = await compile({
    files: Object.entries({ 'inventory.yaml': INVENTORY, ...files }).map(([path, text]) => ({
      path,
      bytes: enc(text),
    })),
  });
  return res.diagnostics;
}

const on = (app: string) => `matchLabels: {app: ${app}}`;

test('no clash: different proxy addresses, two specific UDP addresses, different ports', async () => {
  const diags = await diagnosticsOf({
    'proxies.yaml': proxy('far', 18003, { labels: '{app: far}', address: '10.0.0.7' }),
    'a.yaml': vs('near-tcp', 'TCP: {port: 9100}', ROUTE_ECHO),
    'b.yaml': vs('far-tcp', 'TCP: {port: 9100}', ROUTE_ECHO, on('far')),
    'c.yaml': vs('web', 'UDP: {port: 9000, address: 127.0.0.1}', ROUTE_ECHO),
    'd.yaml': vs('web-2', 'UDP: {port: 9000, address: 127.0.0.3}', ROUTE_ECHO, on('worker')),
    'e.yaml': vs('other', 'UDP: {port: 9001}', ROUTE_ECHO, on('worker')),
    'f.yaml': vs('far-rest', 'TCP: {port: 18001}', ROUTE_ECHO, on('far')), // gateway's REST port, other address
  });
  assert.deepEqual(
    diags.filter((d) => d.severity === 'error').map((d) => `${d.code} ${d.file}: ${d.message}`),
    [],
  );
});

test('a clash names both proxies, both objects and the shared address', async () => {
  const diags = await diagnosticsOf({
    'a.yaml': vs('web', 'UDP: {port: 9000}', ROUTE_ECHO),
    'b.yaml': vs('web-2', 'UDP: {port: 9000, address: 127.0.0.1}', ROUTE_ECHO, on('worker')),
  });
  const clash = diags.find((d) => d.code === 'L7C5021');
  assert.ok(clash, diags.map((d) => d.code).join(', '));
  assert.equal(clash.file, 'b.yaml');
  for (const part of ['"sidecar"', '"gateway"', 'virtual service "web"', '127.0.0.1'])
    assert.ok(clash.message.includes(part), `${part} in: ${clash.message}`);
});
