// Bad input over both adapters: each is a typed error that names the value, raised before anything
// is sent; a message that was never leased is a lease-lost error naming its id.
import { afterAll, describe, expect, it } from 'vitest';
import {
  InvalidArgumentError,
  LeaseLostError,
  ValkeyTransport,
  type LeasedMessage,
  type MessageQueue,
} from '../src/node/index.js';
import { adapters } from './support/adapters.js';
import { countingExecutor } from './support/counting-executor.js';
import { queueName } from './support/queue-helpers.js';

describe.each(adapters)('queue input checks over $name', (adapter) => {
  const inner = adapter.create();
  const { executor, counter } = countingExecutor(inner.executor);
  const transport = new ValkeyTransport(executor, inner.prefix);
  afterAll(() => transport.close());

  /** Expects `call` to raise InvalidArgumentError naming `argument` and `shown`, sending nothing. */
  async function rejects(call: () => unknown, argument: string, shown: string) {
    const before = counter.calls;
    let error: unknown;
    try {
      await call();
    } catch (caught) {
      error = caught;
    }
    expect(error, `${argument} ${shown}`).toBeInstanceOf(InvalidArgumentError);
    expect((error as InvalidArgumentError).argument).toBe(argument);
    expect((error as Error).message).toContain(shown);
    expect(counter.calls, `${argument} ${shown}: nothing sent`).toBe(before);
  }

  it('rejects invalid queue names', async () => {
    for (const name of ['', 'has space', 'brace{tag}', 'caf\u00e9', 42, null]) {
      await rejects(() => transport.queue(name as string), 'queue name', JSON.stringify(name));
    }
    // Long values are cut short in the message, with their length.
    await rejects(() => transport.queue('x'.repeat(129)), 'queue name', '(131 chars)');
  });

  it('rejects negative, fractional and absurd durations and counts', async () => {
    const bad = [-1, 0, 10, 1.5, Number.NaN, 1e13, '1000'];
    for (const value of bad) {
      const shown = typeof value === 'number' ? String(value) : JSON.stringify(value);
      await rejects(
        () => transport.queue(queueName(), { leaseMs: value as number }),
        'leaseMs',
        shown,
      );
    }
    const queue = transport.queue(queueName());
    const options: [string, object, string][] = [
      ['maxDeliveries', { maxDeliveries: 0 }, '0'],
      ['dedupeWindowMs', { dedupeWindowMs: -5 }, '-5'],
      ['maxBodyBytes', { maxBodyBytes: 2 ** 40 }, String(2 ** 40)],
    ];
    for (const [argument, value, shown] of options) {
      await rejects(() => transport.queue(queueName(), value), argument, shown);
    }
    await rejects(() => queue.enqueue(1, { delayMs: -1 }), 'delayMs', '-1');
    await rejects(() => queue.enqueue(1, { delayMs: 1e15 }), 'delayMs', '1000000000000000');
    await rejects(() => queue.lease({ consumer: 'a', waitMs: -5 }), 'waitMs', '-5');
    await rejects(() => queue.lease({ consumer: 'a', waitMs: 1e10 }), 'waitMs', '10000000000');
    await rejects(() => queue.lease({ consumer: 'a', count: 0 }), 'count', '0');
    await rejects(() => queue.lease({ consumer: 'a', count: 5000 }), 'count', '5000');
    await rejects(() => queue.lease({ consumer: 'not valid' }), 'consumer name', '"not valid"');
    await rejects(() => queue.configure({ leaseMs: -100 }), 'leaseMs', '-100');
    await rejects(() => queue.consume(() => {}, { concurrency: 0 }), 'concurrency', '0');
    const consumer = queue.consume(() => {}, { waitMs: 50 });
    await rejects(() => consumer.stop({ timeoutMs: -1 }), 'stopTimeoutMs', '-1');
    await consumer.stop();
  });

  it('rejects oversized messages before sending, whole batches included', async () => {
    const queue = transport.queue<unknown>(queueName(), { maxBodyBytes: 100 });
    await rejects(() => queue.enqueue('x'.repeat(99)), 'message size', '101 bytes');
    await rejects(() => queue.enqueue(new Uint8Array(101)), 'message size', '101 bytes');
    await rejects(() => queue.enqueue('\u00e9'.repeat(50)), 'message size', '102 bytes');
    await rejects(
      () => queue.enqueue('x'.repeat(60), { headers: { big: 'y'.repeat(40) } }),
      'message size',
      'bytes',
    );
    await rejects(
      () => queue.enqueueBatch([{ body: 'ok' }, { body: 'x'.repeat(200) }]),
      'message size',
      '202 bytes',
    );
    expect(await queue.enqueue(new Uint8Array(100))).toMatchObject({ duplicate: false });
    expect(await queue.stats()).toMatchObject({ ready: 1 });
  });

  it('rejects bodies, headers and keys that cannot be stored', async () => {
    const queue = transport.queue<unknown>(queueName());
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    await rejects(() => queue.enqueue(undefined), 'message body', 'undefined');
    await rejects(() => queue.enqueue(() => 1), 'message body', '<function>');
    await rejects(() => queue.enqueue(10n), 'message body', '10n');
    await rejects(() => queue.enqueue(circular), 'message body', 'circular');
    await rejects(
      () => queue.enqueue(1, { headers: { n: 5 as unknown as string } }),
      'header "n"',
      '5',
    );
    await rejects(() => queue.enqueue(1, { dedupeKey: '' }), 'dedupeKey', '""');
    await rejects(() => queue.enqueueBatch('nope' as never), 'messages', '"nope"');
  });

  it('rejects acking a message that was never leased', async () => {
    const queue = transport.queue<number>(queueName());
    const { id } = await queue.enqueue(1);
    const never: LeasedMessage<number> = {
      id,
      messageId: id,
      body: 1,
      headers: {},
      deliveryCount: 1,
      consumer: 'intruder',
    };
    for (const call of [
      () => queue.ack(never),
      () => queue.renew(never),
      () => queue.nack(never),
    ]) {
      const error = await call().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LeaseLostError);
      expect((error as LeaseLostError).messageId).toBe(id);
      expect((error as Error).message).toContain(id);
    }
    await expect(queue.ack({ ...never, id: '1-0' })).rejects.toBeInstanceOf(LeaseLostError);
    await rejects(() => queue.ack({ ...never, id: 'abc' }), 'message id', '"abc"');
    await rejects(() => queue.ack({ ...never, deliveryCount: 0 }), 'deliveryCount', '0');
    await rejects(() => queue.ack({ ...never, consumer: 'a b' }), 'consumer name', '"a b"');
    await rejects(() => queue.ack(null as never), 'message', 'null');
    expect(await queue.stats()).toMatchObject({ ready: 1, leased: 0 });
  });

  it('rejects malformed dead-letter selections', async () => {
    const queue: MessageQueue<number> = transport.queue<number>(queueName());
    await rejects(() => queue.listDeadLetters({ after: 'yesterday' }), 'after', '"yesterday"');
    await rejects(() => queue.replayDeadLetters({ ids: ['x'] }), 'dead-letter id', '"x"');
    await rejects(() => queue.replayDeadLetters({ count: 0 }), 'count', '0');
    await rejects(() => queue.purgeDeadLetters({ ids: 'all' as never }), 'ids', '"all"');
  });
});
