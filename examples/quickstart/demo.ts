// The README's main job (`make demo`) until `l7mp-compile up` exists: starts one real l7mp proxy
// per config that `build` wrote, a UDP echo server as the naked `udp-echo` service, sends a few
// datagrams through gateway → sidecar → udp-echo, prints the replies, and stops everything.
//   npx tsx examples/quickstart/demo.ts out/quickstart
import { createSocket } from 'node:dgram';
import { join, resolve } from 'node:path';
import { startLocalProxy, type LocalProxy } from '../../runtime/local-proxy.ts';

const dir = resolve(process.argv[2] ?? 'out/quickstart');
const proxies: LocalProxy[] = [];
const echo = createSocket('udp4');
const client = createSocket('udp4');

try {
  echo.on('message', (m, from) => echo.send(Buffer.concat([Buffer.from('echo: '), m]), from.port, from.address));
  await new Promise<void>((ok) => echo.bind(15055, '127.0.0.1', ok));
  for (const name of ['sidecar', 'gateway']) {
    const p = await startLocalProxy({ configPath: join(dir, `${name}.yaml`) });
    proxies.push(p);
    console.log(`started l7mp proxy "${name}" (pid ${p.pid}), REST API at ${p.adminUrl}`);
  }
  const replies: string[] = [];
  client.on('message', (m) => replies.push(m.toString()));
  await new Promise<void>((ok) => client.bind(0, '127.0.0.1', ok));
  const messages = ['hello', 'from', 'l7mp-compile'];
  for (let attempt = 0; attempt < 20 && replies.length < messages.length; attempt++) {
    replies.length = 0;
    for (const m of messages) client.send(m, 15053, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 250));
  }
  console.log(`\nsent ${messages.length} datagrams to the gateway at 127.0.0.1:15053, got back:`);
  for (const r of replies) console.log(`  ${r}`);
  if (replies.length < messages.length) {
    process.exitCode = 1;
    console.error('not every datagram came back; proxy logs:\n' + proxies.map((p) => p.logs()).join('\n'));
  }
} catch (e) {
  console.error(`demo failed: ${(e as Error).message}`);
  process.exitCode = 1;
} finally {
  client.close();
  echo.close();
  await Promise.all(proxies.map((p) => p.stop()));
  console.log('\nstopped the proxies');
}
