// Entries in a queue's stream that this library did not write (bad JSON, bad headers), over both
// adapters: they are dead-lettered with the reason, and the messages leased with them are handled.
import { afterAll, describe, expect, it } from 'vitest';
import { queueKey } from '../src/queue/message-queue.js';
import { adapters } from './support/adapters.js';
import { eventually, queueName } from './support/queue-helpers.js';

describe.each(adapters)('undecodable queue entries over $name', (adapter) => {
  const transport = adapter.create();
  afterAll(() => transport.close());

  /** Appends an entry with the given raw fields to the queue's stream, as another client would. */
  async function addForeign(name: string, fields: string[]) {
    const stream = queueKey(transport.prefix, name, 'stream');
    await transport.executor.send(['XADD', stream, '*', ...fields]);
  }

  it('leases good messages around a bad entry', async () => {
    const name = queueName();
    const queue = transport.queue<number>(name, { maxDeliveries: 3 });
    await queue.enqueue(1);
    await addForeign(name, ['b', 'not json']);
    await addForeign(name, ['b', '2', 'h', '[1]']);
    await queue.enqueue(3);
    const leased = await queue.lease({ consumer: 'c', count: 10 });
    expect(leased.map((message) => message.body)).toEqual([1, 3]);
    for (const message of leased) await queue.ack(message);
    const stats = await queue.stats();
    expect(stats.leased).toBe(0);
    expect(stats.deadLettered).toBe(2);
  });

  it('lists bad entries among dead letters', async () => {
    const name = queueName();
    const queue = transport.queue<number>(name);
    await addForeign(name, ['b', '{oops']);
    expect(await queue.lease({ consumer: 'c' })).toEqual([]);
    const [letter, ...rest] = await queue.listDeadLetters();
    expect(rest).toEqual([]);
    expect(letter?.reason).toBe('rejected');
    expect(letter?.body).toBeUndefined();
    expect(letter?.error).toContain('could not be decoded');
    expect(await queue.purgeDeadLetters({ ids: [letter!.id] })).toBe(1);
  });

  it('keeps the consume loop handling messages', async () => {
    const name = queueName();
    const queue = transport.queue<number>(name, { leaseMs: 500, maxDeliveries: 3 });
    await queue.enqueue(1);
    await addForeign(name, ['b', 'not json']);
    await queue.enqueue(2);
    const handled: number[] = [];
    const errors: unknown[] = [];
    const consumer = queue.consume((message) => void handled.push(message.body), {
      concurrency: 4,
      waitMs: 200,
      onError: (error) => errors.push(error),
    });
    await eventually(() => handled.length === 2, 5000, 'both good messages handled');
    await consumer.stop();
    expect(handled.sort()).toEqual([1, 2]);
    expect(errors).toEqual([]);
    expect((await queue.stats()).deadLettered).toBe(1);
  });
});
