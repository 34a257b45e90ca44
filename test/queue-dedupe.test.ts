// Dedupe keys over both adapters: a key within its window adds nothing and returns the id of the
// message that owns the key, whatever happened to older messages enqueued with the same key.
import { afterAll, describe, expect, it } from 'vitest';
import { adapters } from './support/adapters.js';
import { leaseAll, queueName, sleep } from './support/queue-helpers.js';

describe.each(adapters)('queue dedupe over $name', (adapter) => {
  const transport = adapter.create();
  afterAll(() => transport.close());

  it('returns the first id for a key within its window and adds nothing', async () => {
    const queue = transport.queue<string>(queueName());
    const first = await queue.enqueue('a', { dedupeKey: 'order-1' });
    const again = await queue.enqueue('b', { dedupeKey: 'order-1' });
    const other = await queue.enqueue('c', { dedupeKey: 'order-2' });
    expect(again).toEqual({ id: first.id, duplicate: true });
    expect(other.duplicate).toBe(false);
    expect((await leaseAll(queue, 10)).map((m) => m.body)).toEqual(['a', 'c']);
  });

  it('dedupes within one batch and across delayed messages', async () => {
    const queue = transport.queue<string>(queueName());
    const results = await queue.enqueueBatch([
      { body: 'a', dedupeKey: 'k', delayMs: 60_000 },
      { body: 'b', dedupeKey: 'k' },
      { body: 'c', dedupeKey: 'other' },
      { body: 'd', dedupeKey: 'other' },
    ]);
    expect(results.map((r) => r.duplicate)).toEqual([false, true, false, true]);
    expect(results[1]!.id).toBe(results[0]!.id);
    expect(results[3]!.id).toBe(results[2]!.id);
    expect(await queue.stats()).toMatchObject({ ready: 1, delayed: 1 });
  });

  it('keeps the newer owner of a key when an older message is acked', async () => {
    const queue = transport.queue<string>(queueName());
    const windowMs = 300;
    const a = await queue.enqueue('A', { dedupeKey: 'x', dedupeWindowMs: windowMs });
    const [leasedA] = await queue.lease({ consumer: 'w' });
    await sleep(windowMs + 100);
    const b = await queue.enqueue('B', { dedupeKey: 'x', dedupeWindowMs: windowMs });
    expect(b.duplicate).toBe(false);
    expect(b.id).not.toBe(a.id);
    await queue.ack(leasedA!);
    const c = await queue.enqueue('C', { dedupeKey: 'x', dedupeWindowMs: windowMs });
    expect(c).toEqual({ id: b.id, duplicate: true });
  });

  it('keeps the newer owner of a key when an older message is dead-lettered and purged', async () => {
    const queue = transport.queue<string>(queueName());
    const windowMs = 300;
    await queue.enqueue('A', { dedupeKey: 'x', dedupeWindowMs: windowMs });
    const [leasedA] = await queue.lease({ consumer: 'w' });
    await sleep(windowMs + 100);
    const b = await queue.enqueue('B', { dedupeKey: 'x', dedupeWindowMs: windowMs });
    await queue.deadLetter(leasedA!, { error: 'bad' });
    expect(await queue.purgeDeadLetters()).toBe(1);
    const c = await queue.enqueue('C', { dedupeKey: 'x', dedupeWindowMs: windowMs });
    expect(c).toEqual({ id: b.id, duplicate: true });
  });

  it('keeps the newer owner of a key when an older message is retried', async () => {
    const queue = transport.queue<string>(queueName());
    const windowMs = 300;
    await queue.enqueue('A', { dedupeKey: 'x', dedupeWindowMs: windowMs });
    const [leasedA] = await queue.lease({ consumer: 'w' });
    await sleep(windowMs + 100);
    const b = await queue.enqueue('B', { dedupeKey: 'x', dedupeWindowMs: windowMs });
    await queue.nack(leasedA!);
    const leased = await queue.lease({ consumer: 'w', count: 2 });
    for (const message of leased) await queue.ack(message);
    expect(leased.map((m) => m.body)).toEqual(['B', 'A']);
    const c = await queue.enqueue('C', { dedupeKey: 'x', dedupeWindowMs: windowMs });
    expect(c).toEqual({ id: b.id, duplicate: true });
  });

  it('accepts a key again once its window passed', async () => {
    const queue = transport.queue<string>(queueName(), { dedupeWindowMs: 200 });
    const first = await queue.enqueue('a', { dedupeKey: 'k' });
    await sleep(300);
    const second = await queue.enqueue('b', { dedupeKey: 'k' });
    expect(second.duplicate).toBe(false);
    expect(second.id).not.toBe(first.id);
  });
});
