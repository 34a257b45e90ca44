// Closing a transport while calls are in flight, over both adapters: waits end at once and every
// later call rejects with ConnectionError instead of reaching the server.
import { describe, expect, it } from 'vitest';
import { ConnectionError } from '../src/node/index.js';
import { adapters } from './support/adapters.js';
import { queueName } from './support/queue-helpers.js';

/** Settles `promise`, returning the rejection and the time it took in ms. */
async function rejection(promise: Promise<unknown>): Promise<{ error: unknown; ms: number }> {
  const started = Date.now();
  try {
    await promise;
  } catch (error) {
    return { error, ms: Date.now() - started };
  }
  throw new Error('expected the call to reject');
}

describe.each(adapters)('transport close over $name', (adapter) => {
  it('ends a blocking lease in flight at once', async () => {
    const transport = adapter.create();
    const queue = transport.queue(queueName());
    await queue.stats();
    const waiting = rejection(queue.lease({ consumer: 'c', waitMs: 8000 }));
    await new Promise((resolve) => setTimeout(resolve, 200));
    await transport.close();
    const { error, ms } = await waiting;
    expect(error).toBeInstanceOf(ConnectionError);
    expect(ms).toBeLessThan(500);
  });

  it('ends a subscription wait in flight at once', async () => {
    const transport = adapter.create();
    const subscription = await transport.events('closing').subscribe({ from: 'latest' });
    const waiting = rejection(subscription.next());
    await new Promise((resolve) => setTimeout(resolve, 200));
    await transport.close();
    const { error, ms } = await waiting;
    expect(error).toBeInstanceOf(ConnectionError);
    expect(ms).toBeLessThan(500);
  });

  it('runs many calls at once without listener warnings', async () => {
    const transport = adapter.create();
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const queue = transport.queue(queueName());
      const waits = Array.from({ length: 20 }, (_, i) =>
        queue.lease({ consumer: `c${i}`, waitMs: 300 }),
      );
      const sends = Array.from({ length: 40 }, () =>
        transport.executor.send(['PING'], { timeoutMs: 5000 }),
      );
      await Promise.all([...waits, ...sends]);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
      await transport.close();
    }
    expect(warnings.map((warning) => warning.name)).toEqual([]);
  });

  it('rejects every call made after close', async () => {
    const transport = adapter.create();
    const queue = transport.queue(queueName());
    await queue.stats();
    await transport.close();
    const { executor } = transport;
    const enqueue = await rejection(queue.enqueue({ n: 1 }));
    expect(enqueue.error).toBeInstanceOf(ConnectionError);
    const pipeline = await rejection(executor.pipeline([['PING'], ['PING']]));
    expect(pipeline.error).toBeInstanceOf(ConnectionError);
    const transaction = await rejection(executor.transaction([['PING']]));
    expect(transaction.error).toBeInstanceOf(ConnectionError);
    const send = await rejection(executor.send(['PING']));
    expect(send.error).toBeInstanceOf(ConnectionError);
  });
});
