// Options arguments that are not objects (null, a number, a string), over both adapters: each
// primitive raises InvalidArgumentError naming the argument, before anything is sent, instead of
// a TypeError on the first field read or silently using the defaults.
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, ValkeyTransport, type LeasedMessage } from '../src/node/index.js';
import { adapters } from './support/adapters.js';
import { countingExecutor } from './support/counting-executor.js';
import { queueName } from './support/queue-helpers.js';

const BAD_OPTIONS: unknown[] = [null, 5, 'ttlMs'];

describe.each(adapters)('options checks over $name', (adapter) => {
  const inner = adapter.create();
  const { executor, counter } = countingExecutor(inner.executor);
  const transport = new ValkeyTransport(executor, inner.prefix);
  afterAll(() => transport.close());

  const queue = transport.queue(queueName());
  const events = transport.events('options');
  const tokens = transport.tokens();
  const cache = transport.cache('options');
  const message: LeasedMessage = {
    id: '1-0',
    messageId: '1-0',
    body: 1,
    headers: {},
    deliveryCount: 1,
    consumer: 'c',
  };

  // Each call passes its options argument as `bad` (cast, as an untyped caller would).
  const calls: [string, (bad: never) => unknown][] = [
    ['cache options', (bad) => transport.cache('c', bad)],
    ['set options', (bad) => cache.set('k', 1, bad)],
    ['getOrSet options', (bad) => cache.getOrSet('k', () => 1, bad)],
    ['token store options', (bad) => transport.tokens(bad)],
    ['issue options', (bad) => tokens.issue('k', bad)],
    ['compareAndSet options', (bad) => tokens.compareAndSet('k', 'a', 'b', bad)],
    ['event stream options', (bad) => transport.events('e', bad)],
    ['publish options', (bad) => events.publish(1, bad)],
    ['read options', (bad) => events.read(bad)],
    ['subscribe options', (bad) => events.subscribe(bad)],
    ['nack options', (bad) => queue.nack(message, bad)],
    ['deadLetter options', (bad) => queue.deadLetter(message, bad)],
    ['consume options', (bad) => queue.consume(() => undefined, bad)],
    ['listDeadLetters options', (bad) => queue.listDeadLetters(bad)],
    ['replayDeadLetters selection', (bad) => queue.replayDeadLetters(bad)],
    ['purgeDeadLetters options', (bad) => queue.purgeDeadLetters(bad)],
  ];

  it.each(calls)('rejects non-object %s', async (argument, call) => {
    for (const bad of BAD_OPTIONS) {
      const before = counter.calls;
      let error: unknown;
      try {
        await call(bad as never);
      } catch (caught) {
        error = caught;
      }
      expect(error, `${argument} ${String(bad)}`).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).argument).toBe(argument);
      expect(counter.calls, `${argument} ${String(bad)}: nothing sent`).toBe(before);
    }
  });

  it('shows NaN and Infinity in messages', async () => {
    const cases: [() => Promise<unknown>, string][] = [
      [() => tokens.issue('k', { ttlMs: NaN }), 'Invalid ttlMs: NaN.'],
      [() => queue.lease({ consumer: 'c', waitMs: Infinity }), 'Invalid waitMs: Infinity.'],
      [() => cache.set('k', 1, { ttlMs: -Infinity }), 'Invalid ttlMs: -Infinity.'],
    ];
    for (const [call, shown] of cases) {
      await expect(call()).rejects.toThrow(shown);
    }
  });

  it('rejects consume callbacks that are not functions', () => {
    const handler = () => undefined;
    for (const [argument, options] of [
      ['retryDelayMs', { retryDelayMs: 1000 }],
      ['onError', { onError: 'log' }],
      ['signal', { signal: true }],
    ] as const) {
      const before = counter.calls;
      expect(() => queue.consume(handler, options as never)).toThrow(InvalidArgumentError);
      expect(() => queue.consume(handler, options as never)).toThrow(`Invalid ${argument}:`);
      expect(counter.calls, `${argument}: nothing sent`).toBe(before);
    }
  });

  it('rejects cache callbacks that are not functions', async () => {
    const before = counter.calls;
    expect(() => transport.cache('c', { onRefreshError: 'log' } as never)).toThrow(
      'Invalid onRefreshError:',
    );
    const waitUntil = { waitUntil: 'later', staleMs: 1000 } as never;
    await expect(cache.getOrSet('k', () => 1, waitUntil)).rejects.toThrow('Invalid waitUntil:');
    expect(counter.calls).toBe(before);
  });

  it('rejects non-object stop options without throwing', async () => {
    const consumer = queue.consume(() => undefined, { waitMs: 100 });
    const stopping = consumer.stop(null as never);
    await expect(stopping).rejects.toBeInstanceOf(InvalidArgumentError);
    await consumer.stop();
  });
});
