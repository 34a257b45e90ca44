// The distributed cache over TCP and over HTTP through the proxy: plain reads and writes, codecs,
// tags, namespace clearing and getOrSet with one loader and stale values across processes.
import { afterAll, describe, expect, it } from 'vitest';
import {
  bytesCodec,
  InvalidArgumentError,
  textCodec,
  TimeoutError,
  type Codec,
} from '../src/node/index.js';
import { childConnection, startChildren } from './fixtures/spawn-children.js';
import { adapters } from './support/adapters.js';
import { eventually } from './support/eventually.js';
import {
  countedTransport,
  expectRejectedBeforeSending,
  type BadInputCase,
} from './support/round-trips.js';

describe.each(adapters)('cache over $name', (adapter) => {
  const transport = adapter.create();
  const cache = transport.cache<unknown>('main');

  afterAll(() => transport.close());

  it('sets, gets, checks and deletes', async () => {
    expect(await cache.get('user:1')).toBeUndefined();
    expect(await cache.has('user:1')).toBe(false);
    await cache.set('user:1', { name: 'Ada', tags: ['x'], n: 1.5 });
    expect(await cache.get('user:1')).toEqual({ name: 'Ada', tags: ['x'], n: 1.5 });
    expect(await cache.has('user:1')).toBe(true);
    await cache.set('nothing', null);
    expect(await cache.get('nothing')).toBeNull();
    expect(await cache.has('nothing')).toBe(true);
    await cache.delete('user:1');
    expect(await cache.get('user:1')).toBeUndefined();
  });

  it('accepts any text as a key', async () => {
    const keys = ['with space', '{braces}', 'ünïcødé 🫶', 'a'.repeat(1024), 'line\nbreak'];
    for (const [i, key] of keys.entries()) await cache.set(key, i);
    expect(await cache.mget(keys)).toEqual([0, 1, 2, 3, 4]);
  });

  it('expires entries on the server clock', async () => {
    await cache.set('short', 'v', { ttlMs: 100 });
    expect(await cache.get('short')).toBe('v');
    await eventually(async () => (await cache.get('short')) === undefined);
    expect(await cache.has('short')).toBe(false);
  });

  it('reads and writes many keys', async () => {
    await cache.mset([
      { key: 'm1', value: 1 },
      { key: 'm2', value: 'two', ttlMs: 60_000 },
      { key: 'm3', value: [3], tags: ['batch'] },
    ]);
    expect(await cache.mget(['m1', 'missing', 'm2', 'm3'])).toEqual([1, undefined, 'two', [3]]);
    expect(await cache.mget([])).toEqual([]);
    await cache.invalidateTag('batch');
    expect(await cache.mget(['m1', 'm3'])).toEqual([1, undefined]);
  });

  it('keeps namespaces apart', async () => {
    const other = transport.cache('other');
    await cache.set('shared-key', 'main');
    await other.set('shared-key', 'other');
    expect(await cache.get('shared-key')).toBe('main');
    expect(await other.get('shared-key')).toBe('other');
  });

  it('drops tagged entries on invalidateTag', async () => {
    await cache.set('a', 'A', { tags: ['users'] });
    await cache.set('b', 'B', { tags: ['users', 'admins'] });
    await cache.set('c', 'C', { tags: ['admins'] });
    await cache.set('d', 'D');
    await cache.invalidateTag('users');
    expect(await cache.mget(['a', 'b', 'c', 'd'])).toEqual([undefined, undefined, 'C', 'D']);
    await cache.set('a', 'A2', { tags: ['users'] });
    expect(await cache.get('a')).toBe('A2');
    await cache.invalidateTag('admins');
    expect(await cache.mget(['a', 'c', 'd'])).toEqual(['A2', undefined, 'D']);
  });

  it('clears a namespace and only it', async () => {
    const clearing = transport.cache('clearing');
    const other = transport.cache('kept');
    await clearing.mset(Array.from({ length: 50 }, (_, i) => ({ key: `k${i}`, value: i })));
    await other.set('k0', 'kept');
    await clearing.clear();
    const after = await clearing.mget(Array.from({ length: 50 }, (_, i) => `k${i}`));
    expect(after.every((value) => value === undefined)).toBe(true);
    expect(await other.get('k0')).toBe('kept');
    await clearing.set('k1', 'new');
    expect(await clearing.get('k1')).toBe('new');
  });

  it('hides old entries after a clear made through another connection', async () => {
    // Two transports stand for two processes: the writer keeps the namespace version it last saw.
    const elsewhere = adapter.create({ prefix: transport.prefix });
    try {
      const writer = transport.cache('cleared-elsewhere');
      const clearer = elsewhere.cache('cleared-elsewhere');
      await writer.set('k', 'before');
      expect(await clearer.get('k')).toBe('before');
      await clearer.clear();
      expect(await writer.get('k')).toBeUndefined();
      // A write right after a clear it has not seen may read as a miss, never as older data.
      await writer.set('k', 'after');
      expect(await clearer.get('k')).toBe('after');
      await clearer.clear();
      await writer.set('k', 'racing');
      expect([undefined, 'racing']).toContain(await clearer.get('k'));
      expect(await writer.get('k')).not.toBe('after');
    } finally {
      await elsewhere.close();
    }
  });

  it('keeps an entry rewritten without the tag it had', async () => {
    await cache.set('retagged', 'old', { tags: ['retag'] });
    await cache.set('retagged', 'new');
    await cache.set('other-tag', 'x', { tags: ['kept-tag', 'retag'] });
    await cache.invalidateTag('retag');
    expect(await cache.mget(['retagged', 'other-tag'])).toEqual(['new', undefined]);
  });

  it('stores values and keys holding the entry separator', async () => {
    const text = transport.cache('separators', { codec: textCodec });
    await text.set('a|b', '1|0|x|y', { tags: ['t'] });
    await text.set('c', '|');
    expect(await text.mget(['a|b', 'c'])).toEqual(['1|0|x|y', '|']);
  });

  it('round-trips bytes, text and custom codecs', async () => {
    const bytes = transport.cache('bytes', { codec: bytesCodec });
    const all = new Uint8Array(256).map((_, i) => i);
    await bytes.set('all', all);
    expect([...((await bytes.get('all')) ?? [])]).toEqual([...all]);

    const text = transport.cache('text', { codec: textCodec });
    await text.set('t', 'plain "text" 🫶');
    expect(await text.get('t')).toBe('plain "text" 🫶');

    const dates: Codec<Date> = {
      name: 'date',
      encode: (date) => String(date.getTime()),
      decode: (stored) => new Date(Number(stored)),
    };
    const dated = transport.cache('dates', { codec: dates });
    await dated.set('d', new Date(86_400_000));
    expect((await dated.get('d'))?.toISOString()).toBe('1970-01-02T00:00:00.000Z');
  });
});

describe.each(adapters)('cache getOrSet over $name', (adapter) => {
  const transport = adapter.create();
  const cache = transport.cache<string>('loaded');

  afterAll(() => transport.close());

  it('loads once, then serves the cached value', async () => {
    let loads = 0;
    const load = async () => `value-${++loads}`;
    expect(await cache.getOrSet('k', load)).toBe('value-1');
    expect(await cache.getOrSet('k', load)).toBe('value-1');
    expect(await cache.get('k')).toBe('value-1');
    expect(loads).toBe(1);
  });

  it('runs one loader for concurrent callers', async () => {
    let loads = 0;
    const load = async () => {
      loads++;
      await new Promise((resolve) => setTimeout(resolve, 100));
      return 'shared';
    };
    const other = adapter.create({ prefix: transport.prefix }).cache<string>('loaded');
    const results = await Promise.all([
      ...Array.from({ length: 10 }, () => cache.getOrSet('concurrent', load)),
      ...Array.from({ length: 10 }, () => other.getOrSet('concurrent', load)),
    ]);
    expect(results).toEqual(Array(20).fill('shared'));
    expect(loads).toBe(1);
  });

  it('never caches a loader error', async () => {
    const failing = async (): Promise<string> => {
      throw new Error('backend down');
    };
    await expect(cache.getOrSet('flaky', failing)).rejects.toThrow('backend down');
    expect(await cache.has('flaky')).toBe(false);
    // The lock was released: the next caller loads at once instead of waiting for lockMs.
    expect(await cache.getOrSet('flaky', async () => 'ok', { lockMs: 60_000, waitMs: 1000 })).toBe(
      'ok',
    );
  });

  it('serves stale values while one caller refreshes', async () => {
    const refreshes: Promise<unknown>[] = [];
    const options = {
      ttlMs: 100,
      staleMs: 60_000,
      waitUntil: (p: Promise<unknown>) => refreshes.push(p),
    };
    await cache.getOrSet('swr', async () => 'old', options);
    await eventually(async () => (await cache.get('swr')) === undefined);
    let loads = 0;
    const results = await Promise.all(
      Array.from({ length: 5 }, () => cache.getOrSet('swr', async () => `new-${++loads}`, options)),
    );
    expect(results).toEqual(Array(5).fill('old'));
    expect(refreshes).toHaveLength(1);
    await Promise.all(refreshes);
    expect(loads).toBe(1);
    expect(await cache.get('swr')).toBe('new-1');
  });

  it('keeps the stale value when a refresh fails', async () => {
    const errors: unknown[] = [];
    const reporting = transport.cache<string>('loaded', { onRefreshError: (e) => errors.push(e) });
    const refreshes: Promise<unknown>[] = [];
    const options = {
      ttlMs: 100,
      staleMs: 60_000,
      waitUntil: (p: Promise<unknown>) => refreshes.push(p),
    };
    await reporting.getOrSet('swr-fail', async () => 'old', options);
    await eventually(async () => (await reporting.get('swr-fail')) === undefined);
    const failing = async (): Promise<string> => {
      throw new Error('refresh failed');
    };
    expect(await reporting.getOrSet('swr-fail', failing, options)).toBe('old');
    await Promise.all(refreshes);
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toContain('refresh failed');
    // Still stale, still served; the failed refresh released its lock, so this one refreshes.
    expect(await reporting.getOrSet('swr-fail', async () => 'fixed', options)).toBe('old');
    await Promise.all(refreshes);
    expect(await reporting.get('swr-fail')).toBe('fixed');
  });

  it('takes over from a loader that stopped, after lockMs', async () => {
    let release: (value: string) => void = () => {};
    const stuck = cache.getOrSet(
      'stuck',
      () => new Promise<string>((resolve) => (release = resolve)),
      { lockMs: 300 },
    );
    await eventually(async () => {
      // Wait until the stuck loader holds the lock: a short wait then times out.
      const error = await cache
        .getOrSet('stuck', async () => 'x', { lockMs: 300, waitMs: 1 })
        .then(
          () => undefined,
          (e: unknown) => e,
        );
      return error instanceof TimeoutError;
    });
    expect(await cache.getOrSet('stuck', async () => 'second', { lockMs: 300 })).toBe('second');
    // The first loader finishes late: its value must not replace the newer one.
    release('first');
    expect(await stuck).toBe('first');
    expect(await cache.get('stuck')).toBe('second');
  });

  it('runs one loader across two processes and serves stale meanwhile', async () => {
    const counterKey = `${transport.prefix}:loader-runs`;
    const stampede = transport.cache<{ version: number }>('stampede');
    // TTL 5 s and a stale window of 4 s: each phase waits out the TTL on the server clock.
    const options = { ttlMs: 5000, staleMs: 4000 };
    const job = {
      ...childConnection(adapter, transport.prefix),
      task: 'get-or-set' as const,
      key: 'hot',
      calls: 6,
      ...options,
      lockMs: 10_000,
      loaderMs: 500,
      counterKey,
    };
    type Result = { values: { version: number }[]; refreshes: number; refreshErrors: string[] };
    // The processes start first, so that they fire while the value is stale, not after.
    const refreshing = await startChildren<Result>([job, job]);
    await stampede.getOrSet('hot', async () => ({ version: 1 }), options);
    await eventually(async () => (await stampede.get('hot')) === undefined);
    const first = await refreshing.go();
    expect(await transport.executor.send(['GET', counterKey])).toBe('1');
    expect(first.flatMap((r) => r.values)).toEqual(Array(12).fill({ version: 1 }));
    expect(first.reduce((sum, r) => sum + r.refreshes, 0)).toBe(1);
    expect(await stampede.get('hot')).toEqual({ version: 1001 });

    // Stale again; now the one loader throws and the stale value stays.
    const failingJob = { ...job, loaderFails: true };
    const throwing = await startChildren<Result>([failingJob, failingJob]);
    await eventually(async () => (await stampede.get('hot')) === undefined);
    const failing = await throwing.go();
    expect(await transport.executor.send(['GET', counterKey])).toBe('2');
    expect(failing.flatMap((r) => r.values)).toEqual(Array(12).fill({ version: 1001 }));
    expect(failing.flatMap((r) => r.refreshErrors)).toEqual([
      expect.stringContaining('loader 2 failed'),
    ]);
    const kept = await stampede.getOrSet('hot', async () => ({ version: -1 }), {
      ...options,
      waitUntil: () => {},
    });
    expect(kept).toEqual({ version: 1001 });
  }, 60_000);
});

describe.each(adapters)('cache round trips over $name', (adapter) => {
  const counted = countedTransport(adapter);
  const cache = counted.transport.cache<unknown>('counted', { maxValueBytes: 1000 });

  afterAll(() => counted.transport.close());

  it('makes one round trip per operation, a getOrSet hit included', async () => {
    // Warm up so that every script is loaded: a first EVALSHA may need a second call.
    await cache.set('k', 1, { tags: ['t'] });
    await cache.get('k');
    await cache.mget(['k', 'x']);
    await cache.mset([{ key: 'k', value: 1 }]);
    await cache.getOrSet('fresh', async () => 'v');
    const stale = { ttlMs: 50, staleMs: 60_000 };
    await cache.getOrSet('stale', async () => 'old', stale);
    await eventually(async () => !(await cache.has('stale')));

    // The stale hit starts a background refresh; its loader waits until the counting is done,
    // because the refresh's write is extra work, not part of the hit.
    let openGate = () => {};
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    const refreshes: Promise<unknown>[] = [];
    const refresh = { ...stale, waitUntil: (p: Promise<unknown>) => refreshes.push(p) };
    const slowLoad = async () => {
      await gate;
      return 'new';
    };
    const operations: [string, () => Promise<unknown>][] = [
      ['set', () => cache.set('k', { a: 1 }, { tags: ['t', 'u'] })],
      ['get', () => cache.get('k')],
      ['has', () => cache.has('k')],
      ['mget', () => cache.mget(['k', 'x', 'y'])],
      ['mset', () => cache.mset([1, 2, 3].map((i) => ({ key: `m${i}`, value: i, tags: ['t'] })))],
      ['delete', () => cache.delete('k')],
      ['getOrSet fresh hit', () => cache.getOrSet('fresh-2', async () => 'v')],
      ['getOrSet stale hit', () => cache.getOrSet('stale', slowLoad, refresh)],
      ['invalidateTag', () => cache.invalidateTag('t')],
      ['clear', () => cache.clear()],
    ];
    await cache.getOrSet('fresh-2', async () => 'v');
    for (const [name, operation] of operations) {
      counted.reset();
      await operation();
      expect({ name, roundTrips: counted.count() }).toEqual({ name, roundTrips: 1 });
    }
    openGate();
    await Promise.all(refreshes);
    expect(refreshes).toHaveLength(1);
  });

  it('rejects bad input before sending anything', async () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const bytes = counted.transport.cache<Uint8Array>('bytes', { codec: bytesCodec });
    const load = async () => 'v';
    const cases: BadInputCase[] = [
      ['empty key', () => cache.get('')],
      ['key over 1024 characters', () => cache.set('k'.repeat(1025), 1)],
      ['non-string key', () => cache.has(5 as unknown as string)],
      ['zero TTL', () => cache.set('k', 1, { ttlMs: 0 })],
      ['negative TTL', () => cache.set('k', 1, { ttlMs: -1 })],
      ['NaN TTL', () => cache.getOrSet('k', load, { ttlMs: Number.NaN })],
      ['invalid tag', () => cache.set('k', 1, { tags: ['has space'] })],
      [
        'too many tags',
        () => cache.set('k', 1, { tags: Array.from({ length: 33 }, (_, i) => `t${i}`) }),
      ],
      ['tag to invalidate', () => cache.invalidateTag('{t}')],
      ['value over the size cap', () => cache.set('k', 'x'.repeat(1001))],
      ['undefined value', () => cache.set('k', undefined)],
      ['function value', () => cache.set('k', () => 1)],
      ['BigInt value', () => cache.set('k', { n: 1n })],
      ['cyclic value', () => cache.set('k', cyclic)],
      ['string under the bytes codec', () => bytes.set('k', 'text' as unknown as Uint8Array)],
      [
        'one bad entry of mset',
        () =>
          cache.mset([
            { key: 'ok', value: 1 },
            { key: '', value: 2 },
          ]),
      ],
      ['negative staleMs', () => cache.getOrSet('k', load, { staleMs: -1 })],
      ['zero lockMs', () => cache.getOrSet('k', load, { lockMs: 0 })],
      ['missing loader', () => cache.getOrSet('k', undefined as unknown as typeof load)],
      ['mget of a non-array', () => cache.mget('k' as unknown as string[])],
    ];
    await expectRejectedBeforeSending(counted, cases);
    expect(() => counted.transport.cache('bad namespace')).toThrow(InvalidArgumentError);
    expect(() => counted.transport.cache('n', { ttlMs: 0 })).toThrow(InvalidArgumentError);
  });

  it('names the value and the fix in errors', async () => {
    const tooLarge = await cache.set('k', 'x'.repeat(1001)).catch((e: unknown) => e);
    expect((tooLarge as Error).message).toMatch(
      /^Invalid value of cache key k: "x{20,}.*is over the limit of 1000 bytes \(maxValueBytes\)/,
    );
    const unencodable = await cache.set('k', undefined).catch((e: unknown) => e);
    expect((unencodable as Error).message).toBe(
      'Invalid value of cache key k: undefined. The json codec cannot encode it (undefined, ' +
        'functions and symbols have no JSON form); pass a value it supports or choose another codec.',
    );
  });
});
