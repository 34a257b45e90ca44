// Shows where Valkey's CPU goes for this queue over TCP: INFO cpu and commandstats per message for
// enqueues alone, leases of 50, acks of 50, a consumer at concurrency 50 draining the queue, then
// the benchmark's end-to-end run (enqueues while consuming).
// Run: npx tsx bench/queue/profile.ts
import { createClient } from '@redis/client';
import { createTransport } from '../../src/node/index.js';
import { startValkey } from '../../scripts/lib/valkey-server.js';
import { BATCH, runQueue } from './runners.js';

const total = 5000;
const server = await startValkey();
const transport = createTransport({ url: server.url, prefix: 'bench' });
const probe = createClient({ url: server.url, RESP: 2 });
await probe.connect();

async function report(phase: string, run: () => Promise<unknown>) {
  await probe.sendCommand(['CONFIG', 'RESETSTAT']);
  const cpu = async () => {
    const text = String(await probe.sendCommand(['INFO', 'cpu']));
    const get = (k: string) => Number(new RegExp(`${k}:([\\d.]+)`).exec(text)![1]);
    return get('used_cpu_user') + get('used_cpu_sys');
  };
  const before = await cpu();
  await run();
  const used = (await cpu()) - before;
  console.log(`\n${phase}: valkey cpu ${((used / total) * 1e6).toFixed(1)} us/msg`);
  const text = String(await probe.sendCommand(['INFO', 'commandstats']));
  for (const line of text.split('\r\n').filter((l) => l.startsWith('cmdstat_'))) {
    const [name, rest] = line.split(':');
    const fields = Object.fromEntries(rest!.split(',').map((kv) => kv.split('=')));
    if (Number(fields.usec) / total < 0.02) continue;
    console.log(
      `  ${name!.slice(8).padEnd(14)} calls/msg ${(Number(fields.calls) / total).toFixed(3)}`,
      ` us/msg ${(Number(fields.usec) / total).toFixed(2)}  us/call ${fields.usec_per_call}`,
    );
  }
}

await runQueue(transport, 50, 1000);
const queue = transport.queue<number>('profile');
await report('enqueue', async () => {
  for (let i = 0; i < total; i += BATCH) {
    await queue.enqueueBatch(Array.from({ length: BATCH }, (_, j) => ({ body: i + j })));
  }
});
const leased: Awaited<ReturnType<typeof queue.lease>>[] = [];
await report('lease 50 at a time', async () => {
  for (;;) {
    const batch = await queue.lease({ consumer: 'p', count: 50 });
    if (batch.length === 0) break;
    leased.push(batch);
  }
});
await report('ack 50 at a time', async () => {
  for (const batch of leased) await Promise.all(batch.map((m) => queue.ack(m)));
});
for (let i = 0; i < total; i += BATCH) {
  await queue.enqueueBatch(Array.from({ length: BATCH }, (_, j) => ({ body: i + j })));
}
await report('consume c50', async () => {
  let handled = 0;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const consumer = queue.consume(
    () => {
      if (++handled === total) finish();
    },
    { concurrency: 50, waitMs: 1000 },
  );
  await finished;
  await consumer.stop();
});
await report('end to end c50 (bench run)', () => runQueue(transport, 50, total));
await transport.close();
probe.destroy();
await server.dispose();
