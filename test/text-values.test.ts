// Text values at the edges, over both adapters: every value compareAndSet can store can later be
// its expected value, and text UTF-8 cannot carry (a lone surrogate) is rejected before anything
// is sent instead of being stored as U+FFFD.
import { afterAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, textCodec, ValkeyTransport } from '../src/node/index.js';
import { adapters } from './support/adapters.js';
import { countingExecutor } from './support/counting-executor.js';
import { queueName } from './support/queue-helpers.js';

describe.each(adapters)('text values over $name', (adapter) => {
  const inner = adapter.create();
  const { executor, counter } = countingExecutor(inner.executor);
  const transport = new ValkeyTransport(executor, inner.prefix);
  afterAll(() => transport.close());

  /** Expects `call` to raise InvalidArgumentError naming `argument`, sending nothing. */
  async function rejects(call: () => Promise<unknown>, argument: string) {
    const before = counter.calls;
    await expect(call()).rejects.toSatisfy(
      (error) => error instanceof InvalidArgumentError && error.argument === argument,
    );
    expect(counter.calls, `${argument}: nothing sent`).toBe(before);
  }

  it('compares against a long stored value', async () => {
    const tokens = transport.tokens();
    const long = 'x'.repeat(5000);
    expect(await tokens.compareAndSet('long', null, long, { ttlMs: 60_000 })).toBe(true);
    expect(await tokens.compareAndSet('long', long, 'short')).toBe(true);
    expect((await tokens.get('long'))?.value).toBe('short');
  });

  it('compares against an empty stored value', async () => {
    const tokens = transport.tokens();
    expect(await tokens.compareAndSet('empty', null, '', { ttlMs: 60_000 })).toBe(true);
    expect(await tokens.compareAndSet('empty', '', 'filled')).toBe(true);
    expect((await tokens.get('empty'))?.value).toBe('filled');
  });

  it('rejects lone surrogates in values and keys', async () => {
    const text = transport.cache('text', { codec: textCodec });
    const json = transport.cache('json');
    const tokens = transport.tokens();
    const queue = transport.queue(queueName());
    for (const lone of ['\ud800', 'tail\udc00', '\udc00\ud800']) {
      await rejects(() => text.set('k', lone), 'value of cache key k');
      await rejects(() => json.set(lone, 1), 'cache key');
      await rejects(() => tokens.compareAndSet('k', null, lone, { ttlMs: 1000 }), 'next value');
      await rejects(() => tokens.compareAndSet('k', lone, 'b'), 'expected value');
      await rejects(() => queue.enqueue(1, { dedupeKey: lone }), 'dedupeKey');
    }
  });

  it('keeps well-formed text with astral characters', async () => {
    const text = transport.cache('text', { codec: textCodec });
    const value = 'caf\u00e9 \u{1f600} \u20ac \u0000 end';
    await text.set('astral', value);
    expect(await text.get('astral')).toBe(value);
  });
});
