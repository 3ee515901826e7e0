// The README's main job (`make demo`): what `l7mp-compile up examples/quickstart` does — start the
// repo's two proxies as real local l7mp processes, plan and apply the repo to them through their
// REST APIs — then send UDP through gateway → sidecar → the naked udp-echo service, print the
// replies, show that a second plan is empty, and stop everything.
//   npx tsx examples/quickstart/demo.ts
import { createSocket } from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { compileRepo } from '../../runtime/compile-repo.ts';
import { startEmbedded, type Embedded } from '../../runtime/embedded.ts';
import { planRepo } from '../../runtime/reconcile/plan-repo.ts';
import { applyPlan } from '../../runtime/reconcile/apply.ts';
import { renderPlanText } from '../../cli/render/plan-text.ts';
import { applySucceeded, renderApplyResults } from '../../cli/render/apply-results.ts';

const dir = fileURLToPath(new URL('.', import.meta.url));
const echo = createSocket('udp4');
const client = createSocket('udp4');
let emb: Embedded | undefined;

try {
  const res = await compileRepo(dir);
  if (res.hasErrors) throw new Error('examples/quickstart does not validate');
  emb = await startEmbedded(res.model.proxies);
  for (const s of emb.started) console.log(`started l7mp proxy "${s.proxy}" (pid ${s.local.pid}) at ${s.local.adminUrl}`);
  const { plan, clientFor } = await planRepo(res);
  console.log(`\n$ l7mp-compile plan\n${renderPlanText(plan, { color: false })}`);
  const results = await applyPlan(plan, { clientFor, desired: res.graphs });
  console.log(`$ l7mp-compile apply\n${renderApplyResults(results)}`);
  if (!applySucceeded(results)) throw new Error('apply failed');

  echo.on('message', (m, from) => echo.send(Buffer.concat([Buffer.from('echo: '), m]), from.port, from.address));
  await new Promise<void>((ok) => echo.bind(15055, '127.0.0.1', ok));
  const replies: string[] = [];
  client.on('message', (m) => replies.push(m.toString()));
  await new Promise<void>((ok) => client.bind(0, '127.0.0.1', ok));
  const messages = ['hello', 'from', 'l7mp-compile'];
  for (let attempt = 0; attempt < 20 && replies.length < messages.length; attempt++) {
    replies.length = 0;
    for (const m of messages) client.send(m, 15053, '127.0.0.1');
    await new Promise((r) => setTimeout(r, 250));
  }
  console.log(`sent ${messages.length} datagrams to the gateway at 127.0.0.1:15053, got back:`);
  for (const r of replies) console.log(`  ${r}`);
  if (replies.length < messages.length) throw new Error('not every datagram came back');

  const again = await planRepo(res);
  console.log(`\n$ l7mp-compile plan   # again\n${renderPlanText(again.plan, { color: false })}`);
} catch (e) {
  console.error(`demo failed: ${(e as Error).message}`);
  if (emb) for (const s of emb.started) console.error(`--- ${s.proxy} log ---\n${s.local.logs()}`);
  process.exitCode = 1;
} finally {
  client.close();
  echo.close();
  await emb?.stop();
  console.log('stopped the proxies');
}
