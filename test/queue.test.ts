// The message queue over TCP and over HTTP through the proxy: enqueue, lease, ack, bodies,
// batches, order, delays and the stored config. Leases, dead letters and faults have their own files.
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, type MessageQueue } from '../src/node/index.js';
import { adapters } from './support/adapters.js';
import { leaseAll, queueName } from './support/queue-helpers.js';

describe.each(adapters)('queue over $name', (adapter) => {
  const transport = adapter.create();
  afterAll(() => transport.close());

  it('delivers a message and removes it on ack', async () => {
    const queue = transport.queue<{ n: number }>(queueName());
    const { id, duplicate } = await queue.enqueue({ n: 1 }, { headers: { trace: 't-1' } });
    expect(duplicate).toBe(false);
    const [message, ...rest] = await queue.lease({ consumer: 'a', count: 5 });
    expect(rest).toEqual([]);
    expect(message).toMatchObject({
      id,
      messageId: id,
      body: { n: 1 },
      headers: { trace: 't-1' },
      deliveryCount: 1,
      consumer: 'a',
    });
    await queue.ack(message!);
    expect(await queue.stats()).toEqual({
      ready: 0,
      leased: 0,
      delayed: 0,
      deadLettered: 0,
      oldestReadyAgeMs: null,
    });
    const streamKey = `${transport.prefix}:{q:${queue.name}}:stream`;
    expect(await transport.executor.send(['XLEN', streamKey])).toBe(0);
  });

  it('keeps bodies intact: JSON values and every byte value', async () => {
    const queue = transport.queue<unknown>(queueName());
    const bytes = new Uint8Array(256).map((_, i) => i);
    const bodies: unknown[] = [
      bytes,
      'text with \u0000, emoji \u{1F600} and \uFFFD',
      { nested: [1, 2.5, null, true, { deep: 'x' }] },
      0,
      null,
      '',
    ];
    for (const body of bodies) await queue.enqueue(body);
    const leased = await leaseAll(queue, bodies.length);
    expect(leased[0]!.body).toBeInstanceOf(Uint8Array);
    expect([...(leased[0]!.body as Uint8Array)]).toEqual([...bytes]);
    expect(leased.slice(1).map((m) => m.body)).toEqual(bodies.slice(1));
  });

  it('enqueues a batch in order, with per-message options', async () => {
    const queue = transport.queue<number>(queueName());
    const results = await queue.enqueueBatch(
      Array.from({ length: 1200 }, (_, i) => ({ body: i, headers: { i: String(i) } })),
    );
    expect(results).toHaveLength(1200);
    expect(new Set(results.map((r) => r.id)).size).toBe(1200);
    const leased = await leaseAll(queue, 1200);
    expect(leased.map((m) => m.body)).toEqual(results.map((_, i) => i));
    expect(leased.map((m) => m.id)).toEqual(results.map((r) => r.id));
    expect(leased[7]!.headers).toEqual({ i: '7' });
  });

  it('delivers first deliveries in enqueue order', async () => {
    const queue = transport.queue<number>(queueName());
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push((await queue.enqueue(i)).id);
    const singles = await Promise.all([0, 1, 2, 3, 4].map(() => queue.enqueue(100)));
    const batch = await queue.enqueueBatch([{ body: 200 }, { body: 201 }]);
    ids.push(...singles.map((r) => r.id), ...batch.map((r) => r.id));
    const seen: string[] = [];
    for (const count of [1, 3, 7, 100]) {
      seen.push(...(await queue.lease({ consumer: `c${count}`, count })).map((m) => m.id));
    }
    expect(seen).toEqual(ids);
  });

  it('holds delayed messages until due, then delivers them in due order', async () => {
    const queue = transport.queue<string>(queueName());
    const late = await queue.enqueue('late', { delayMs: 900 });
    const early = await queue.enqueue('early', { delayMs: 300 });
    await queue.enqueue('now');
    expect(late.id).not.toBe(early.id);
    expect((await queue.stats()).delayed).toBe(2);
    const first = await queue.lease({ consumer: 'a', count: 10 });
    expect(first.map((m) => m.body)).toEqual(['now']);
    const second = await queue.lease({ consumer: 'a', count: 10, waitMs: 5000 });
    expect(second.map((m) => m.body)).toEqual(['early']);
    expect(second[0]!.messageId).toBe(early.id);
    const third = await queue.lease({ consumer: 'a', count: 10, waitMs: 5000 });
    expect(third.map((m) => [m.body, m.messageId, m.deliveryCount])).toEqual([
      ['late', late.id, 1],
    ]);
  });

  it('returns nothing after waitMs when the queue stays empty', async () => {
    const queue = transport.queue(queueName());
    expect(await queue.lease({ consumer: 'a', waitMs: 300 })).toEqual([]);
  });

  it('wakes a waiting lease when a message arrives', async () => {
    const queue = transport.queue<string>(queueName());
    await queue.lease({ consumer: 'a' });
    const waiting = queue.lease({ consumer: 'a', waitMs: 10_000 });
    await queue.enqueue('hello');
    const [message] = await waiting;
    expect(message!.body).toBe('hello');
    await queue.ack(message!);
  });

  it('counts ready, leased, delayed and dead-lettered messages', async () => {
    const queue = transport.queue<number>(queueName(), { maxDeliveries: 1 });
    await queue.enqueueBatch([{ body: 1 }, { body: 2 }, { body: 3 }, { body: 4, delayMs: 60_000 }]);
    const [message] = await queue.lease({ consumer: 'a' });
    await queue.nack(message!, { error: 'boom' });
    await queue.lease({ consumer: 'a' });
    const stats = await queue.stats();
    expect(stats).toMatchObject({ ready: 1, leased: 1, delayed: 1, deadLettered: 1 });
    expect(stats.oldestReadyAgeMs).toBeGreaterThanOrEqual(0);
  });

  it('stores the config with the queue and rejects a handle that differs', async () => {
    const name = queueName();
    const first = transport.queue(name, { leaseMs: 1000, maxDeliveries: 3 });
    await first.enqueue('x');
    await first.lease({ consumer: 'a', count: 0 + 1 });
    const plain = transport.queue(name);
    expect(await plain.config()).toEqual({ leaseMs: 1000, maxDeliveries: 3 });
    const other = transport.queue(name, { leaseMs: 2000 });
    const error = await other.lease({ consumer: 'b' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).argument).toBe('leaseMs');
    expect((error as Error).message).toContain('stores leaseMs 1000');
    await plain.configure({ leaseMs: 2000 });
    expect(await other.lease({ consumer: 'b' })).toEqual([]);
    await expect(first.lease({ consumer: 'a' })).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(await plain.config()).toEqual({ leaseMs: 2000, maxDeliveries: 3 });
  });
});

describe('queue handles', () => {
  it('share a queue across transports of both adapters', async () => {
    const prefix = `shared${crypto.randomUUID().slice(0, 6)}`;
    const [tcp, http] = adapters.map((a) => a.create({ prefix }));
    const name = queueName();
    const producer: MessageQueue<string> = tcp!.queue(name);
    const consumer: MessageQueue<string> = http!.queue(name);
    await producer.enqueue('across');
    const [message] = await consumer.lease({ consumer: 'h' });
    expect(message!.body).toBe('across');
    await consumer.ack(message!);
    await Promise.all([tcp!.close(), http!.close()]);
  });
});
