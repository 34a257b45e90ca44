// The consumer loop over both adapters: concurrency, retries, renewals, lost leases and stopping.
import { afterAll, describe, expect, it } from 'vitest';
import { LeaseLostError, type LeasedMessage } from '../src/node/index.js';
import { adapters } from './support/adapters.js';
import { eventually, leaseAll, queueName, sleep } from './support/queue-helpers.js';

describe.each(adapters)('queue consumer over $name', (adapter) => {
  const transport = adapter.create();
  afterAll(() => transport.close());

  it('handles every message with at most `concurrency` handlers at once', async () => {
    const queue = transport.queue<number>(queueName());
    await queue.enqueueBatch(Array.from({ length: 60 }, (_, i) => ({ body: i })));
    const seen: number[] = [];
    let running = 0;
    let maxRunning = 0;
    const consumer = queue.consume(
      async (message) => {
        running++;
        maxRunning = Math.max(maxRunning, running);
        await sleep(5);
        seen.push(message.body);
        running--;
      },
      { concurrency: 7, waitMs: 200 },
    );
    await eventually(() => seen.length === 60, 10_000, 'all messages');
    await consumer.stop();
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: 60 }, (_, i) => i));
    expect(maxRunning).toBe(7);
    expect(await queue.stats()).toMatchObject({ ready: 0, leased: 0, delayed: 0 });
  });

  it('retries a failed message after its retry delay', async () => {
    const queue = transport.queue<string>(queueName());
    await queue.enqueue('flaky');
    const deliveries: LeasedMessage<string>[] = [];
    const delays: number[] = [];
    const consumer = queue.consume(
      (message) => {
        deliveries.push(message);
        if (message.deliveryCount === 1) throw new Error('try again');
      },
      {
        waitMs: 100,
        retryDelayMs: (count) => {
          delays.push(count);
          return 200;
        },
      },
    );
    await eventually(() => deliveries.length === 2, 10_000, 'second delivery');
    await consumer.stop();
    expect(delays).toEqual([1]);
    expect(deliveries[1]).toMatchObject({ deliveryCount: 2, lastError: 'Error: try again' });
    expect(await queue.stats()).toMatchObject({ ready: 0, leased: 0, delayed: 0 });
  });

  it('renews the lease of a handler that runs longer than the lease', async () => {
    const queue = transport.queue<string>(queueName(), { leaseMs: 300 });
    await queue.enqueue('slow');
    const errors: unknown[] = [];
    let finished: LeasedMessage<string> | undefined;
    const consumer = queue.consume(
      async (message, { signal }) => {
        await sleep(1200);
        expect(signal.aborted).toBe(false);
        finished = message;
      },
      { waitMs: 100, onError: (error) => errors.push(error) },
    );
    await sleep(150);
    for (let i = 0; i < 4; i++) {
      expect(await queue.lease({ consumer: 'thief' })).toEqual([]);
      await sleep(250);
    }
    await eventually(() => finished !== undefined, 5000, 'handler');
    await consumer.stop();
    expect(finished!.deliveryCount).toBe(1);
    expect(errors).toEqual([]);
    expect(await queue.stats()).toMatchObject({ ready: 0, leased: 0 });
  });

  it('aborts a handler whose lease was taken over', async () => {
    const queue = transport.queue<string>(queueName(), { leaseMs: 400 });
    await queue.enqueue('contested');
    const errors: unknown[] = [];
    let reason: unknown;
    let started: LeasedMessage<string> | undefined;
    const consumer = queue.consume(
      async (message, { signal }) => {
        started = message;
        await new Promise((resolve) => signal.addEventListener('abort', resolve));
        reason = signal.reason;
      },
      { waitMs: 100, onError: (error) => errors.push(error) },
    );
    await eventually(() => started !== undefined, 5000, 'handler start');
    // Another consumer takes the entry over; XCLAIM without JUSTID bumps the delivery count.
    const stream = `${transport.prefix}:{q:${queue.name}}:stream`;
    await transport.executor.send(['XCLAIM', stream, 'workers', 'thief', 0, started!.id]);
    await eventually(() => reason !== undefined, 5000, 'abort');
    await consumer.stop();
    expect(reason).toBeInstanceOf(LeaseLostError);
    expect(errors.some((e) => e instanceof LeaseLostError)).toBe(true);
    // The loop neither acked nor nacked the message: the thief still holds it.
    expect(await queue.stats()).toMatchObject({ leased: 1, ready: 0, delayed: 0 });
  });

  it('waits for running handlers on stop and acks their messages', async () => {
    const queue = transport.queue<string>(queueName());
    await queue.enqueue('finish me');
    let started = false;
    let done = false;
    const consumer = queue.consume(
      async () => {
        started = true;
        await sleep(300);
        done = true;
      },
      { waitMs: 100 },
    );
    await eventually(() => started, 5000, 'handler start');
    await consumer.stop();
    expect(done).toBe(true);
    expect(await queue.stats()).toMatchObject({ ready: 0, leased: 0, delayed: 0 });
  });

  it('releases messages whose handlers outlive the stop timeout, without counting them', async () => {
    const queue = transport.queue<string>(queueName());
    const { id } = await queue.enqueue('stuck');
    let signal: AbortSignal | undefined;
    const consumer = queue.consume(
      async (_message, context) => {
        signal = context.signal;
        await new Promise((resolve) => context.signal.addEventListener('abort', resolve));
      },
      { waitMs: 100 },
    );
    await eventually(() => signal !== undefined, 5000, 'handler start');
    await consumer.stop({ timeoutMs: 50 });
    expect(signal!.aborted).toBe(true);
    const [again] = await leaseAll(queue, 1);
    expect(again).toMatchObject({ messageId: id, deliveryCount: 1 });
    expect(again!.lastError).toContain('consumer stopped');
  });

  it('stops when its signal aborts', async () => {
    const queue = transport.queue<string>(queueName());
    const controller = new AbortController();
    const consumer = queue.consume(() => {}, { waitMs: 5000, signal: controller.signal });
    controller.abort();
    await consumer.stopped;
    await queue.enqueue('after stop');
    expect(await queue.stats()).toMatchObject({ ready: 1 });
  });
});
