// Dead letters over both adapters: poison messages reach the dead-letter stream with their last
// error and delivery count, and replay puts each back on the queue once.
import { afterAll, describe, expect, it } from 'vitest';
import type { LeasedMessage } from '../src/node/index.js';
import { adapters } from './support/adapters.js';
import { eventually, leaseAll, queueName, sleep } from './support/queue-helpers.js';

describe.each(adapters)('queue dead letters over $name', (adapter) => {
  const transport = adapter.create();
  afterAll(() => transport.close());

  it('dead-letters a message whose handler always throws, after max deliveries', async () => {
    const queue = transport.queue<string>(queueName(), { maxDeliveries: 3 });
    const { id } = await queue.enqueue('poison', { headers: { h: 'v' } });
    const deliveries: number[] = [];
    const consumer = queue.consume(
      (message) => {
        deliveries.push(message.deliveryCount);
        throw new Error(`failure ${message.deliveryCount}`);
      },
      { retryDelayMs: () => 0, waitMs: 200 },
    );
    await eventually(async () => (await queue.stats()).deadLettered === 1, 10_000, 'dead letter');
    await consumer.stop();
    expect(deliveries).toEqual([1, 2, 3]);
    const [dead] = await queue.listDeadLetters();
    expect(dead).toMatchObject({
      messageId: id,
      body: 'poison',
      headers: { h: 'v' },
      reason: 'max-deliveries',
      error: 'Error: failure 3',
      deliveryCount: 3,
    });
    expect(await queue.stats()).toMatchObject({ ready: 0, leased: 0, delayed: 0 });

    expect(await queue.replayDeadLetters()).toBe(1);
    expect(await queue.replayDeadLetters()).toBe(0);
    const replayed = await leaseAll(queue, 5);
    expect(replayed.map((m) => [m.messageId, m.body, m.deliveryCount])).toEqual([
      [id, 'poison', 1],
    ]);
    expect(replayed[0]!.headers).toEqual({ h: 'v' });
    expect(await queue.stats()).toMatchObject({ deadLettered: 0, ready: 0, leased: 1 });
  });

  it('dead-letters a message whose leases keep expiring, after max deliveries', async () => {
    const queue = transport.queue<string>(queueName(), { leaseMs: 100, maxDeliveries: 3 });
    const { id } = await queue.enqueue('abandoned');
    const counts: number[] = [];
    for (let i = 0; i < 4; i++) {
      const leased = await queue.lease({ consumer: `dies-${i}` });
      counts.push(...leased.map((m) => m.deliveryCount));
      await sleep(150);
    }
    expect(counts).toEqual([1, 2, 3]);
    const [dead] = await queue.listDeadLetters();
    expect(dead).toMatchObject({
      messageId: id,
      reason: 'max-deliveries',
      error: 'lease expired',
      deliveryCount: 3,
    });
  });

  it('dead-letters a message a consumer rejects', async () => {
    const queue = transport.queue<string>(queueName());
    const { id } = await queue.enqueue('bad input');
    const [message] = await queue.lease({ consumer: 'a' });
    await queue.deadLetter(message!, { error: 'cannot parse' });
    const [dead] = await queue.listDeadLetters();
    expect(dead).toMatchObject({ messageId: id, reason: 'rejected', error: 'cannot parse' });
    expect(dead!.deadLetteredAt).toBeGreaterThan(0);
  });

  it('lists, replays and purges selected dead letters', async () => {
    const queue = transport.queue<number>(queueName());
    await queue.enqueueBatch(Array.from({ length: 6 }, (_, i) => ({ body: i })));
    const leased = await leaseAll(queue, 6);
    for (const message of leased) await queue.deadLetter(message as LeasedMessage<number>);
    const all = await queue.listDeadLetters();
    expect(all.map((d) => d.body)).toEqual([0, 1, 2, 3, 4, 5]);
    const page = await queue.listDeadLetters({ after: all[1]!.id, count: 2 });
    expect(page.map((d) => d.body)).toEqual([2, 3]);

    expect(await queue.replayDeadLetters({ ids: [all[4]!.id, all[4]!.id] })).toBe(1);
    expect(await queue.replayDeadLetters({ count: 2 })).toBe(2);
    expect((await leaseAll(queue, 10)).map((m) => m.body)).toEqual([4, 0, 1]);

    expect(await queue.purgeDeadLetters({ ids: [all[2]!.id] })).toBe(1);
    expect((await queue.listDeadLetters()).map((d) => d.body)).toEqual([3, 5]);
    expect(await queue.purgeDeadLetters()).toBe(2);
    expect(await queue.listDeadLetters()).toEqual([]);
  });
});
