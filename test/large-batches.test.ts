// Batches whose values add up past a REST server's request body limit, over both adapters: each
// message or value is within its size limit, so each must be stored, whatever the batch adds up to.
import { afterAll, describe, expect, it } from 'vitest';
import { adapters } from './support/adapters.js';
import { leaseAll, queueName } from './support/queue-helpers.js';

const BODY_CHARS = 900 * 1024;
const COUNT = 14;

describe.each(adapters)('large enqueue batches over $name', (adapter) => {
  const transport = adapter.create();
  afterAll(() => transport.close());

  it('stores same-tick enqueues over 10 MiB', async () => {
    const queue = transport.queue<string>(queueName());
    const bodies = Array.from({ length: COUNT }, (_, i) => `${i}:`.padEnd(BODY_CHARS, 'x'));
    const results = await Promise.all(bodies.map((body) => queue.enqueue(body)));
    expect(results).toHaveLength(COUNT);
    expect((await queue.stats()).ready).toBe(COUNT);
  });

  it('stores an enqueueBatch over 10 MiB in order', async () => {
    const queue = transport.queue<string>(queueName());
    const bodies = Array.from({ length: COUNT }, (_, i) => `${i}:`.padEnd(BODY_CHARS, 'x'));
    const results = await queue.enqueueBatch(
      bodies.map((body, i) => ({ body, dedupeKey: `key-${i}` })),
    );
    expect(results.map((result) => result.duplicate)).toEqual(bodies.map(() => false));
    const leased = await leaseAll(queue, COUNT);
    expect(leased.map((message) => message.body.slice(0, 3))).toEqual(
      bodies.map((body) => body.slice(0, 3)),
    );
  });

  it('stores an mset over 10 MiB', async () => {
    const cache = transport.cache<string>('large');
    const values = Array.from({ length: COUNT }, (_, i) => `${i}:`.padEnd(BODY_CHARS, 'x'));
    await cache.mset(values.map((value, i) => ({ key: `k${i}`, value })));
    const read = await cache.mget(values.map((_, i) => `k${i}`));
    expect(read.map((value) => value?.slice(0, 3))).toEqual(
      values.map((value) => value.slice(0, 3)),
    );
  });
});
