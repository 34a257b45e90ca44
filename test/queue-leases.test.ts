// Lease fencing over both adapters: renewals, takeovers, stale holders, nack and payloads
// deleted while leased.
import { afterAll, describe, expect, it } from 'vitest';
import { LeaseLostError, type LeasedMessage, type MessageQueue } from '../src/node/index.js';
import { adapters } from './support/adapters.js';
import { queueName, sleep } from './support/queue-helpers.js';

describe.each(adapters)('queue leases over $name', (adapter) => {
  const transport = adapter.create();
  afterAll(() => transport.close());
  const streamKey = (queue: MessageQueue<unknown>) =>
    `${transport.prefix}:{q:${queue.name}}:stream`;
  const pendingCount = async (queue: MessageQueue<unknown>) => {
    const reply = (await transport.executor.send(['XPENDING', streamKey(queue), 'workers'])) as [
      number,
    ];
    return reply[0];
  };

  it('keeps a renewed lease past its duration', async () => {
    const queue = transport.queue<string>(queueName(), { leaseMs: 400 });
    await queue.enqueue('x');
    const [held] = await queue.lease({ consumer: 'a' });
    for (let i = 0; i < 4; i++) {
      await sleep(150);
      await queue.renew(held!);
      expect(await queue.lease({ consumer: 'b' })).toEqual([]);
    }
    await queue.ack(held!);
    expect(await pendingCount(queue)).toBe(0);
  });

  it('gives an expired lease to the next consumer with the next delivery count', async () => {
    const queue = transport.queue<string>(queueName(), { leaseMs: 200 });
    const { id } = await queue.enqueue('x');
    const [first] = await queue.lease({ consumer: 'a' });
    await sleep(300);
    const [second] = await queue.lease({ consumer: 'b' });
    expect(second).toMatchObject({ id, messageId: id, deliveryCount: 2, consumer: 'b' });
    expect(first!.deliveryCount).toBe(1);
  });

  it('rejects every call of a stale holder and changes nothing', async () => {
    const queue = transport.queue<string>(queueName(), { leaseMs: 200, maxDeliveries: 10 });
    await queue.enqueue('x');
    const [stale] = await queue.lease({ consumer: 'a' });
    await sleep(300);
    const [current] = await queue.lease({ consumer: 'b' });
    const calls: [string, () => Promise<unknown>][] = [
      ['ack', () => queue.ack(stale!)],
      ['renew', () => queue.renew(stale!)],
      ['nack', () => queue.nack(stale!, { error: 'late' })],
      ['deadLetter', () => queue.deadLetter(stale!)],
    ];
    for (const [name, call] of calls) {
      const error = await call().catch((e: unknown) => e);
      expect(error, name).toBeInstanceOf(LeaseLostError);
      expect((error as LeaseLostError).messageId).toBe(stale!.id);
    }
    // The same consumer name with the old delivery count is stale too.
    const sameName = { ...current!, deliveryCount: 1 };
    await expect(queue.ack(sameName)).rejects.toBeInstanceOf(LeaseLostError);
    expect(await queue.stats()).toMatchObject({ ready: 0, leased: 1, deadLettered: 0 });
    await queue.ack(current!);
    await expect(queue.ack(current!)).rejects.toBeInstanceOf(LeaseLostError);
    expect(await queue.stats()).toMatchObject({ ready: 0, leased: 0, deadLettered: 0 });
  });

  it('keeps pending and unread entries when acks trim the stream', async () => {
    const queue = transport.queue<number>(queueName());
    await queue.enqueueBatch([1, 2, 3, 4, 5, 6].map((body) => ({ body })));
    const [one, two, three] = await queue.lease({ consumer: 'a', count: 3 });
    const entries = async () =>
      ((await transport.executor.send(['XRANGE', streamKey(queue), '-', '+'])) as [string][]).map(
        (entry) => entry[0],
      );

    // Acking out of order: the newest first, then the oldest, with one in between still leased.
    await queue.ack(three!);
    expect(await entries()).toEqual(expect.not.arrayContaining([three!.id]));
    await queue.ack(one!);
    const left = await entries();
    expect(left).toHaveLength(4);
    expect(left[0]).toBe(two!.id);
    expect(await queue.stats()).toMatchObject({ ready: 3, leased: 1 });

    const rest = await queue.lease({ consumer: 'b', count: 10 });
    expect(rest.map((m) => m.body)).toEqual([4, 5, 6]);
    await queue.ack(rest[2]!);
    expect(await queue.stats()).toMatchObject({ ready: 0, leased: 3 });
    for (const message of [two!, rest[0]!, rest[1]!]) await queue.ack(message);
    expect(await entries()).toEqual([]);
    expect(await queue.stats()).toMatchObject({ ready: 0, leased: 0 });
  });

  it('acks a message once when two acks share a batch', async () => {
    const queue = transport.queue<string>(queueName());
    await queue.enqueue('x');
    const [message] = await queue.lease({ consumer: 'a' });
    const results = await Promise.allSettled([queue.ack(message!), queue.ack(message!)]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
  });

  it('lets only the latest holder of each message ack it', async () => {
    const queue = transport.queue<number>(queueName(), { leaseMs: 150, maxDeliveries: 1000 });
    const total = 120;
    await queue.enqueueBatch(Array.from({ length: total }, (_, i) => ({ body: i })));
    // Per message: the delivery counts whose ack succeeded, and the highest count leased.
    const ackedWith = new Map<number, number[]>();
    const latest = new Map<number, number>();
    let lost = 0;
    const worker = async (consumer: string) => {
      const deadline = Date.now() + 20_000;
      while (ackedWith.size < total && Date.now() < deadline) {
        const leased = await queue.lease({ consumer, count: 5, waitMs: 100 });
        for (const m of leased)
          latest.set(m.body, Math.max(latest.get(m.body) ?? 0, m.deliveryCount));
        await Promise.all(
          leased.map(async (message) => {
            // Up to twice the lease: many holders lose their lease to another consumer.
            await sleep(Math.random() * 300);
            try {
              await queue.ack(message);
              ackedWith.set(message.body, [
                ...(ackedWith.get(message.body) ?? []),
                message.deliveryCount,
              ]);
            } catch (error) {
              if (!(error instanceof LeaseLostError)) throw error;
              lost++;
            }
          }),
        );
      }
    };
    await Promise.all(['w1', 'w2', 'w3', 'w4'].map(worker));
    expect(ackedWith.size).toBe(total);
    for (const [body, counts] of ackedWith) {
      expect(counts, `acks of message ${body}`).toEqual([latest.get(body)]);
    }
    expect(lost).toBeGreaterThan(0);
    expect(await queue.stats()).toMatchObject({ ready: 0, leased: 0, deadLettered: 0 });
  });

  it('retries a nacked message with its delivery count and error', async () => {
    const queue = transport.queue<string>(queueName(), { maxDeliveries: 5 });
    const { id } = await queue.enqueue('x', { headers: { h: '1' } });
    const [first] = await queue.lease({ consumer: 'a' });
    expect(await queue.nack(first!, { error: 'first failure' })).toBe('retried');
    const [second] = await queue.lease({ consumer: 'a' });
    expect(second).toMatchObject({
      messageId: id,
      body: 'x',
      headers: { h: '1' },
      deliveryCount: 2,
      lastError: 'first failure',
    });
    expect(second!.id).not.toBe(id);
    expect(await queue.nack(second!, { delayMs: 300, error: 'second failure' })).toBe('retried');
    expect(await queue.lease({ consumer: 'a' })).toEqual([]);
    expect((await queue.stats()).delayed).toBe(1);
    const [third] = await queue.lease({ consumer: 'a', waitMs: 5000 });
    expect(third).toMatchObject({ messageId: id, deliveryCount: 3, lastError: 'second failure' });
    // The fence counts the deliveries before the re-add: a forged lower count is stale.
    await expect(queue.ack({ ...third!, deliveryCount: 1 })).rejects.toBeInstanceOf(LeaseLostError);
    await queue.ack(third!);
    expect(await pendingCount(queue)).toBe(0);
  });

  it('counts deliveries across a retry and a lease expiry', async () => {
    const queue = transport.queue<string>(queueName(), { leaseMs: 200, maxDeliveries: 5 });
    await queue.enqueue('x');
    const [first] = await queue.lease({ consumer: 'a' });
    await queue.nack(first!);
    const [second] = await queue.lease({ consumer: 'a' });
    expect(second!.deliveryCount).toBe(2);
    await sleep(300);
    const [third] = await queue.lease({ consumer: 'b' });
    expect(third!.deliveryCount).toBe(3);
    await expect(queue.renew(second!)).rejects.toBeInstanceOf(LeaseLostError);
    await queue.renew(third!);
    await queue.ack(third!);
  });
});

describe.each(adapters)('queue payloads deleted while leased over $name', (adapter) => {
  const transport = adapter.create();
  afterAll(() => transport.close());
  const keyOf = (queue: MessageQueue<unknown>) => `${transport.prefix}:{q:${queue.name}}:stream`;

  async function leasedThenDeleted(
    leaseMs: number,
    remove: (queue: MessageQueue<unknown>, leased: LeasedMessage<unknown>[]) => Promise<unknown>,
  ) {
    const queue = transport.queue<unknown>(queueName(), { leaseMs });
    const enqueued = await queue.enqueueBatch([{ body: 1 }, { body: 2 }, { body: 3 }]);
    const leased = await queue.lease({ consumer: 'a', count: 3 });
    expect(leased).toHaveLength(3);
    await remove(queue, leased);
    return { queue, enqueued, leased };
  }

  async function expectReported(queue: MessageQueue<unknown>, messageIds: string[]) {
    const pending = (await transport.executor.send(['XPENDING', keyOf(queue), 'workers'])) as [
      number,
    ];
    expect(pending[0]).toBe(0);
    const dead = await queue.listDeadLetters();
    expect(dead.map((d) => d.messageId).sort()).toEqual([...messageIds].sort());
    expect(dead.every((d) => d.reason === 'payload-missing' && d.body === undefined)).toBe(true);
    expect(await queue.replayDeadLetters()).toBe(0);
  }

  it('clears reclaimed entries trimmed away and reports them once', async () => {
    const { queue, enqueued } = await leasedThenDeleted(200, (q) =>
      transport.executor.send(['XTRIM', keyOf(q), 'MAXLEN', 0]),
    );
    await sleep(300);
    expect(await queue.lease({ consumer: 'b', count: 10 })).toEqual([]);
    expect(await queue.lease({ consumer: 'b', count: 10 })).toEqual([]);
    await expectReported(
      queue,
      enqueued.map((r) => r.id),
    );
    expect(await queue.stats()).toMatchObject({ ready: 0, leased: 0, deadLettered: 3 });
  });

  it('clears deleted entries that the holder renews, nacks or acks', async () => {
    const { queue, leased } = await leasedThenDeleted(30_000, (q, messages) =>
      transport.executor.send(['XDEL', keyOf(q), ...messages.map((m) => m.id)]),
    );
    const [renewed, nacked, acked] = leased as [
      LeasedMessage<unknown>,
      ...LeasedMessage<unknown>[],
    ];
    await expect(queue.renew(renewed)).rejects.toBeInstanceOf(LeaseLostError);
    expect(await queue.nack(nacked!)).toBe('dead-lettered');
    await queue.ack(acked!);
    await expectReported(queue, [renewed.messageId, nacked!.messageId]);
  });
});
