// Consumers in child processes, over both adapters: killed with SIGKILL, or frozen with a blocked
// event loop. Nothing may be lost, and a stale holder may change nothing.
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { adapters } from './support/adapters.js';
import { startChild, type QueueChild } from './support/child-process.js';
import { eventually, leaseAll, queueName, sleep } from './support/queue-helpers.js';
import type { LeasedMessage } from '../src/node/index.js';

describe.each(adapters)('queue consumers that crash over $name', (adapter) => {
  const transport = adapter.create();
  const children: QueueChild[] = [];
  const connection: Record<string, string> =
    adapter.name === 'tcp'
      ? { VT_URL: inject('valkeyUrl') }
      : { VT_URL: inject('proxyUrl'), VT_TOKEN: inject('proxyToken') };
  const spawnConsumer = (env: Record<string, string>) => {
    const child = startChild({ ...connection, VT_PREFIX: transport.prefix, ...env });
    children.push(child);
    return child;
  };
  afterEach(async () => {
    await Promise.all(children.splice(0).map((child) => child.kill()));
  });
  afterAll(() => transport.close());

  it('redelivers every message a killed consumer held, each with delivery count 2', async () => {
    const name = queueName();
    const queue = transport.queue<number>(name, { leaseMs: 1000 });
    const enqueued = await queue.enqueueBatch([1, 2, 3, 4].map((body) => ({ body })));
    const child = spawnConsumer({
      VT_MODE: 'hold',
      VT_QUEUE: name,
      VT_LEASE_MS: '1000',
      VT_CONSUMER: 'doomed',
      VT_COUNT: '4',
    });
    const held = await child.next('leased');
    expect(held.messageIds).toEqual(enqueued.map((r) => r.id));
    await child.kill();

    const redelivered: LeasedMessage<number>[] = [];
    const deadline = Date.now() + 10_000;
    while (redelivered.length < 4 && Date.now() < deadline) {
      redelivered.push(...(await queue.lease({ consumer: 'survivor', count: 4, waitMs: 2000 })));
    }
    expect(redelivered.map((m) => m.body).sort()).toEqual([1, 2, 3, 4]);
    expect(redelivered.every((m) => m.deliveryCount === 2)).toBe(true);
    for (const message of redelivered) await queue.ack(message);
    expect(await queue.stats()).toMatchObject({ ready: 0, leased: 0, deadLettered: 0 });
  });

  it('rejects a frozen holder whose lease was taken over, and tells its handler', async () => {
    const name = queueName();
    const queue = transport.queue<string>(name);
    await queue.configure({ leaseMs: 1000, maxDeliveries: 10 });
    await queue.enqueue('contested');
    const child = spawnConsumer({
      VT_MODE: 'stale',
      VT_QUEUE: name,
      VT_LEASE_MS: '1000',
      VT_CONSUMER: 'frozen',
      VT_BLOCK_MS: '2500',
    });
    const leased = await child.next('leased');
    expect(leased.deliveryCount).toBe(1);
    // The child's event loop is blocked now; take the message over once its lease expired.
    let taken: LeasedMessage<string>[] = [];
    while (taken.length === 0) {
      taken = await queue.lease({ consumer: 'rescuer' });
      if (taken.length === 0) await sleep(100);
    }
    expect(taken[0]!.deliveryCount).toBe(2);
    // Keep the new lease while the child thaws: its loop would reclaim an expired one.
    const keepAlive = setInterval(() => void queue.renew(taken[0]!).catch(() => {}), 250);
    const report = await child.next('report').finally(() => clearInterval(keepAlive));
    expect(report).toMatchObject({
      aborted: true,
      reason: 'LeaseLostError',
      ack: 'LeaseLostError',
      renew: 'LeaseLostError',
      nack: 'LeaseLostError',
    });
    await queue.ack(taken[0]!);
    expect(await queue.stats()).toMatchObject({ ready: 0, leased: 0, delayed: 0, deadLettered: 0 });
    expect(await leaseAll(queue, 1)).toEqual([]);
  });

  it('loses nothing when consumers are killed at random points', async () => {
    const name = queueName();
    const total = 2500;
    const doneKey = `${transport.prefix}:done:${name}`;
    const deliveriesKey = `${transport.prefix}:deliveries:${name}`;
    const queue = transport.queue<number>(name);
    await queue.configure({ leaseMs: 1000, maxDeliveries: 1000 });
    await queue.enqueueBatch(Array.from({ length: total }, (_, i) => ({ body: i })));
    let next = 0;
    const spawnWorker = () =>
      spawnConsumer({
        VT_MODE: 'work',
        VT_QUEUE: name,
        VT_LEASE_MS: '1000',
        VT_CONSUMER: `worker-${next++}`,
        VT_CONCURRENCY: '3',
        VT_DONE_KEY: doneKey,
        VT_DELIVERIES_KEY: deliveriesKey,
      });
    const done = async () => Number(await transport.executor.send(['SCARD', doneKey]));
    let live = [spawnWorker(), spawnWorker(), spawnWorker()];
    await Promise.all(live.map((child) => child.next('ready')));

    // Kill a random worker every 150-500 ms, starting or busy, and start a replacement.
    let kills = 0;
    const killUntil = Date.now() + 20_000;
    while (kills < 12 && (await done()) < total && Date.now() < killUntil) {
      await sleep(150 + Math.random() * 350);
      const victim = live[Math.floor(Math.random() * live.length)]!;
      await victim.kill();
      kills++;
      live = [...live.filter((child) => child !== victim), spawnWorker()];
    }
    await eventually(
      async () => {
        const stats = await queue.stats();
        return stats.ready + stats.leased + stats.delayed === 0;
      },
      45_000,
      'every message acked',
    );
    expect(kills).toBeGreaterThanOrEqual(6);
    expect(await done()).toBe(total);
    const deliveries = Number(await transport.executor.send(['GET', deliveriesKey]));
    expect(deliveries).toBeGreaterThanOrEqual(total);
    expect(await queue.stats()).toMatchObject({ deadLettered: 0 });
  }, 90_000);
});
