// Every queue operation is one round trip: counted as executor calls on both adapters, and as
// HTTP requests to the proxy (a counting wrapper around the real fetch).
import { afterAll, describe, expect, inject, it } from 'vitest';
import {
  HttpExecutor,
  TcpExecutor,
  ValkeyTransport,
  type MessageQueue,
} from '../src/node/index.js';
import { uniquePrefix } from './support/adapters.js';
import { countingExecutor } from './support/counting-executor.js';
import { queueName } from './support/queue-helpers.js';

const fetchCounter = { requests: 0 };
const countingFetch: typeof fetch = (input, init) => {
  fetchCounter.requests++;
  return globalThis.fetch(input, init);
};

const cases = [
  {
    name: 'tcp',
    executor: () => new TcpExecutor({ url: inject('valkeyUrl') }),
    requests: () => undefined,
  },
  {
    name: 'http',
    executor: () =>
      new HttpExecutor({
        url: inject('proxyUrl'),
        token: inject('proxyToken'),
        fetch: countingFetch,
      }),
    requests: () => fetchCounter.requests,
  },
];

describe.each(cases)('queue round trips over $name', (adapter) => {
  const { executor, counter } = countingExecutor(adapter.executor());
  const transport = new ValkeyTransport(executor, uniquePrefix());
  afterAll(() => transport.close());

  /** Runs `operation` and returns the executor calls and HTTP requests it made. */
  async function trips(operation: () => Promise<unknown>) {
    const calls = counter.calls;
    const requests = adapter.requests();
    await operation();
    const made = adapter.requests();
    return {
      calls: counter.calls - calls,
      requests: made === undefined ? undefined : made - requests!,
    };
  }

  async function everyOperation(queue: MessageQueue<number>) {
    const made: Record<string, Awaited<ReturnType<typeof trips>>> = {};
    made.enqueue = await trips(() => queue.enqueue(1));
    made.enqueueBatch = await trips(() =>
      queue.enqueueBatch(Array.from({ length: 1100 }, (_, i) => ({ body: i, dedupeKey: `k${i}` }))),
    );
    made.parallelEnqueues = await trips(() =>
      Promise.all([2, 3, 4, 5].map((n) => queue.enqueue(n))),
    );
    const leased = await queue.lease({ consumer: 'a', count: 20 });
    made.lease = await trips(() => queue.lease({ consumer: 'a', count: 5 }));
    made.renew = await trips(() => queue.renew(leased[0]!));
    made.ack = await trips(() => queue.ack(leased[0]!));
    made.parallelAcks = await trips(() =>
      Promise.all(leased.slice(1, 11).map((m) => queue.ack(m))),
    );
    made.nack = await trips(() => queue.nack(leased[11]!, { delayMs: 10 }));
    made.deadLetter = await trips(() => queue.deadLetter(leased[12]!));
    made.stats = await trips(() => queue.stats());
    made.listDeadLetters = await trips(() => queue.listDeadLetters());
    made.replayDeadLetters = await trips(() => queue.replayDeadLetters());
    made.purgeDeadLetters = await trips(() => queue.purgeDeadLetters());
    made.config = await trips(() => queue.config());
    made.configure = await trips(() => queue.configure({ maxDeliveries: 7 }));
    return made;
  }

  it('makes one round trip per operation', async () => {
    // The first pass loads the scripts (EVALSHA answers NOSCRIPT once, then EVAL).
    await everyOperation(transport.queue<number>(queueName()));
    const made = await everyOperation(transport.queue<number>(queueName()));
    for (const [operation, { calls, requests }] of Object.entries(made)) {
      expect(calls, `${operation} executor calls`).toBe(1);
      if (requests !== undefined) expect(requests, `${operation} HTTP requests`).toBe(1);
    }
  });
});
