// One end-to-end run per system: a producer enqueues `total` messages in batches while a consumer
// with `concurrency` no-op handlers acks them; the run ends when the last message is acked.
import { Queue, Worker } from 'bullmq';
import { Valkey } from 'iovalkey';
import type { Transport } from '../../src/node/index.js';

/** Messages per enqueue batch (enqueueBatch for this queue, addBulk for BullMQ). */
export const BATCH = 500;

const body = (i: number) => ({ i, kind: 'bench', at: 1_700_000_000_000 + i });

/** Runs this queue end to end; returns the elapsed ms. */
export async function runQueue(transport: Transport, concurrency: number, total: number) {
  const queue = transport.queue<ReturnType<typeof body>>(`bench-${crypto.randomUUID()}`);
  let handled = 0;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  const started = performance.now();
  const consumer = queue.consume(
    () => {
      if (++handled === total) finish();
    },
    { concurrency, waitMs: 1000 },
  );
  for (let i = 0; i < total; i += BATCH) {
    const size = Math.min(BATCH, total - i);
    await queue.enqueueBatch(Array.from({ length: size }, (_, j) => ({ body: body(i + j) })));
  }
  await finished;
  // The last handlers' acks are still in flight: the run ends when nothing is leased any more.
  while ((await queue.stats()).leased > 0) await new Promise((r) => setTimeout(r, 1));
  const elapsed = performance.now() - started;
  await consumer.stop();
  return elapsed;
}

/** Runs BullMQ end to end on the same server; returns the elapsed ms. */
export async function runBullmq(valkeyUrl: string, concurrency: number, total: number) {
  const name = `bench-${crypto.randomUUID()}`;
  const connections = [0, 1].map(() => new Valkey(valkeyUrl, { maxRetriesPerRequest: null }));
  const queue = new Queue(name, { connection: connections[0]! });
  const worker = new Worker(name, async () => {}, {
    connection: connections[1]!,
    concurrency,
    autorun: false,
  });
  await Promise.all([queue.waitUntilReady(), worker.waitUntilReady()]);
  let completed = 0;
  let finish!: () => void;
  const finished = new Promise<void>((resolve) => (finish = resolve));
  worker.on('completed', () => {
    if (++completed === total) finish();
  });
  const started = performance.now();
  void worker.run();
  for (let i = 0; i < total; i += BATCH) {
    const size = Math.min(BATCH, total - i);
    // Completed jobs are removed, as this queue deletes acked entries.
    const jobs = Array.from({ length: size }, (_, j) => ({
      name: 'job',
      data: body(i + j),
      opts: { removeOnComplete: true },
    }));
    await queue.addBulk(jobs);
  }
  await finished;
  const elapsed = performance.now() - started;
  await worker.close();
  await queue.close();
  for (const connection of connections) connection.disconnect();
  return elapsed;
}

/** Enqueues `total` messages with this queue and leaves them pending. */
export async function fillQueue(transport: Transport, total: number): Promise<void> {
  const queue = transport.queue(`fill-${crypto.randomUUID()}`);
  for (let i = 0; i < total; i += BATCH) {
    const size = Math.min(BATCH, total - i);
    await queue.enqueueBatch(Array.from({ length: size }, (_, j) => ({ body: body(i + j) })));
  }
}

/** Adds `total` jobs with BullMQ and leaves them waiting. */
export async function fillBullmq(valkeyUrl: string, total: number): Promise<void> {
  const connection = new Valkey(valkeyUrl, { maxRetriesPerRequest: null });
  const queue = new Queue(`fill-${crypto.randomUUID()}`, { connection });
  for (let i = 0; i < total; i += BATCH) {
    const size = Math.min(BATCH, total - i);
    const jobs = Array.from({ length: size }, (_, j) => ({ name: 'job', data: body(i + j) }));
    await queue.addBulk(jobs);
  }
  await queue.close();
  connection.disconnect();
}
