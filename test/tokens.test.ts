// The token store over TCP and over HTTP through the proxy: one-time tokens, compare-and-set,
// fencing counters and idempotency records, each atomic and one round trip.
import { afterAll, describe, expect, it } from 'vitest';
import { storedResponseCodec, type StoredResponse } from '../src/node/index.js';
import { childConnection, runChildren } from './fixtures/spawn-children.js';
import { adapters } from './support/adapters.js';
import { eventually } from './support/eventually.js';
import {
  countedTransport,
  expectRejectedBeforeSending,
  type BadInputCase,
} from './support/round-trips.js';

describe.each(adapters)('token store over $name', (adapter) => {
  const transport = adapter.create();
  const tokens = transport.tokens();

  afterAll(() => transport.close());

  it('issues one token per key', async () => {
    const token = await tokens.issue('login', { ttlMs: 60_000 });
    expect(token).toMatch(/^[0-9a-f]{32}$/);
    expect(await tokens.issue('login', { ttlMs: 60_000 })).toBeNull();
    const entry = await tokens.get('login');
    expect(entry?.value).toBe(token);
    expect(entry?.ttlMs).toBeGreaterThan(0);
    expect(entry?.ttlMs).toBeLessThanOrEqual(60_000);
    expect(await tokens.get('never-issued')).toBeNull();
  });

  it('consumes a token once, only with its value', async () => {
    const token = (await tokens.issue('once', { ttlMs: 60_000 }))!;
    expect(await tokens.consume('once', 'not-the-token')).toBe(false);
    expect((await tokens.get('once'))?.value).toBe(token);
    const results = await Promise.all(
      Array.from({ length: 10 }, () => tokens.consume('once', token)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    expect(await tokens.get('once')).toBeNull();
  });

  it('compares and sets', async () => {
    expect(await tokens.compareAndSet('state', 'a', 'b')).toBe(false);
    expect(await tokens.compareAndSet('state', null, 'a', { ttlMs: 60_000 })).toBe(true);
    expect(await tokens.compareAndSet('state', null, 'x', { ttlMs: 60_000 })).toBe(false);
    expect(await tokens.compareAndSet('state', 'a', 'b')).toBe(true);
    const entry = await tokens.get('state');
    expect(entry?.value).toBe('b');
    // Without ttlMs the TTL set on creation stays.
    expect(entry?.ttlMs).toBeGreaterThan(0);
    expect(entry?.ttlMs).toBeLessThanOrEqual(60_000);
    expect(await tokens.compareAndSet('state', 'b', 'c', { ttlMs: 120_000 })).toBe(true);
    expect((await tokens.get('state'))?.ttlMs).toBeGreaterThan(60_000);
  });

  it('lets exactly one concurrent compare-and-set win', async () => {
    await tokens.compareAndSet('race', null, 'v0', { ttlMs: 60_000 });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => tokens.compareAndSet('race', 'v0', `v${i + 1}`)),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
    const winner = results.indexOf(true);
    expect((await tokens.get('race'))?.value).toBe(`v${winner + 1}`);
  });

  it('extends only with the right token', async () => {
    const token = (await tokens.issue('lease', { ttlMs: 10_000 }))!;
    expect(await tokens.extend('lease', 'wrong', 500_000)).toBe(false);
    expect((await tokens.get('lease'))?.ttlMs).toBeLessThanOrEqual(10_000);
    expect(await tokens.extend('lease', token, 500_000)).toBe(true);
    expect((await tokens.get('lease'))?.ttlMs).toBeGreaterThan(10_000);
  });

  it('revokes whatever the key holds', async () => {
    await tokens.issue('revoked', { ttlMs: 60_000 });
    expect(await tokens.revoke('revoked')).toBe(true);
    expect(await tokens.revoke('revoked')).toBe(false);
    expect(await tokens.issue('revoked', { ttlMs: 60_000 })).not.toBeNull();
  });

  it('fails extend and consume after the key changed hands', async () => {
    // The first token is revoked, a second expires on the server clock; each time a new holder
    // takes the key, and the old token must not touch it.
    const revoked = (await tokens.issue('handover', { ttlMs: 60_000 }))!;
    await tokens.revoke('handover');
    const expiring = (await tokens.issue('handover-ttl', { ttlMs: 100 }))!;
    await eventually(async () => (await tokens.get('handover-ttl')) === null);
    for (const [key, old] of [
      ['handover', revoked],
      ['handover-ttl', expiring],
    ] as const) {
      const current = (await tokens.issue(key, { ttlMs: 60_000 }))!;
      expect(current).not.toBe(old);
      expect(await tokens.extend(key, old, 5_000_000)).toBe(false);
      expect(await tokens.consume(key, old)).toBe(false);
      const entry = await tokens.get(key);
      expect(entry?.value).toBe(current);
      expect(entry?.ttlMs).toBeLessThanOrEqual(60_000);
      expect(entry?.ttlMs).toBeGreaterThan(0);
    }
  });

  it('hands out increasing fencing numbers', async () => {
    const first = await tokens.nextFence('writer');
    const concurrent = await Promise.all(
      Array.from({ length: 50 }, () => tokens.nextFence('writer')),
    );
    expect(new Set(concurrent).size).toBe(50);
    expect(Math.min(...concurrent)).toBe(first + 1);
    expect(Math.max(...concurrent)).toBe(first + 50);
    expect(await tokens.nextFence('writer')).toBe(first + 51);
    expect(await tokens.nextFence('other-writer')).toBe(1);
  });

  it('grants one token to fifty calls from two processes', async () => {
    const job = {
      ...childConnection(adapter, transport.prefix),
      task: 'issue' as const,
      key: 'contended',
      calls: 25,
    };
    const results = await runChildren<(string | null)[]>([job, job]);
    const granted = results.flat().filter((token) => token !== null);
    expect(results.flat()).toHaveLength(50);
    expect(granted).toHaveLength(1);
    expect((await tokens.get('contended'))?.value).toBe(granted[0]);
  });
});

describe.each(adapters)('idempotency records over $name', (adapter) => {
  const transport = adapter.create();
  const records = transport.tokens<{ charged: number }>();
  const options = { fingerprint: 'f1', ttlMs: 60_000, lockMs: 30_000 };

  afterAll(() => transport.close());

  it('acquires, reports progress and mismatch, then replays the result', async () => {
    const first = await records.begin('payment-1', options);
    expect(first.status).toBe('acquired');
    const again = await records.begin('payment-1', options);
    expect(again.status).toBe('in-progress');
    if (again.status === 'in-progress') {
      expect(again.retryAfterMs).toBeGreaterThan(0);
      expect(again.retryAfterMs).toBeLessThanOrEqual(30_000);
    }
    expect(await records.begin('payment-1', { ...options, fingerprint: 'f2' })).toEqual({
      status: 'mismatch',
    });
    if (first.status !== 'acquired') return;
    expect(await records.complete('payment-1', first.token, { charged: 42 })).toBe(true);
    expect(await records.begin('payment-1', options)).toEqual({
      status: 'completed',
      result: { charged: 42 },
    });
    expect(await records.begin('payment-1', { ...options, fingerprint: 'f2' })).toEqual({
      status: 'mismatch',
    });
    // Completing twice changes nothing.
    expect(await records.complete('payment-1', first.token, { charged: 0 })).toBe(false);
  });

  it('lets one of many concurrent begins acquire', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, () => records.begin('payment-2', options)),
    );
    expect(results.filter((r) => r.status === 'acquired')).toHaveLength(1);
    expect(results.filter((r) => r.status === 'in-progress')).toHaveLength(19);
  });

  it('releases a dead holder after lockMs', async () => {
    const short = { ...options, lockMs: 300 };
    const dead = await records.begin('payment-3', short);
    expect(dead.status).toBe('acquired');
    expect((await records.begin('payment-3', short)).status).toBe('in-progress');
    let taken: Awaited<ReturnType<typeof records.begin>> | undefined;
    await eventually(async () => {
      taken = await records.begin('payment-3', short);
      return taken.status !== 'in-progress';
    });
    expect(taken?.status).toBe('acquired');
    // The old holder wakes up late: its result is not stored.
    if (dead.status === 'acquired') {
      expect(await records.complete('payment-3', dead.token, { charged: 1 })).toBe(false);
      expect(await records.abandon('payment-3', dead.token)).toBe(false);
    }
    expect((await records.begin('payment-3', short)).status).toBe('in-progress');
  });

  it('abandons so the next begin acquires at once', async () => {
    const first = await records.begin('payment-4', options);
    if (first.status !== 'acquired') throw new Error(`expected acquired, got ${first.status}`);
    expect(await records.abandon('payment-4', 'someone-else')).toBe(false);
    expect(await records.abandon('payment-4', first.token)).toBe(true);
    expect((await records.begin('payment-4', options)).status).toBe('acquired');
  });

  it('stores an HTTP response with exact bytes', async () => {
    const responses = transport.tokens<StoredResponse>({ resultCodec: storedResponseCodec });
    const body = new Uint8Array([0, 255, 128, 10, 13, 0xf0, 0x9f]);
    const stored: StoredResponse = {
      status: 201,
      headers: [
        ['content-type', 'application/octet-stream'],
        ['set-cookie', 'a=1'],
        ['set-cookie', 'b=2'],
      ],
      body,
    };
    const begun = await responses.begin('response-1', options);
    if (begun.status !== 'acquired') throw new Error(`expected acquired, got ${begun.status}`);
    expect(await responses.complete('response-1', begun.token, stored)).toBe(true);
    const replay = await responses.begin('response-1', options);
    expect(replay.status).toBe('completed');
    if (replay.status !== 'completed') return;
    expect(replay.result.status).toBe(201);
    expect(replay.result.headers).toEqual(stored.headers);
    expect([...replay.result.body]).toEqual([...body]);
  });
});

describe.each(adapters)('token store round trips over $name', (adapter) => {
  const counted = countedTransport(adapter);
  const tokens = counted.transport.tokens();

  afterAll(() => counted.transport.close());

  it('makes one round trip per operation', async () => {
    // Warm up so that every script is loaded: a first EVALSHA may need a second call.
    const warm = (await tokens.issue('warm', { ttlMs: 60_000 }))!;
    await tokens.consume('warm', 'x');
    await tokens.compareAndSet('warm', 'x', 'y');
    await tokens.extend('warm', warm, 1000);
    await tokens.get('warm');
    const begun = await tokens.begin('warm', { fingerprint: 'f', ttlMs: 1000, lockMs: 1000 });
    if (begun.status === 'acquired') await tokens.complete('warm', begun.token, 1);
    await tokens.abandon('warm', 'x');

    const operations: [string, () => Promise<unknown>][] = [
      ['issue', () => tokens.issue('k', { ttlMs: 60_000 })],
      ['get', () => tokens.get('k')],
      ['compareAndSet', () => tokens.compareAndSet('k', 'x', 'y')],
      ['extend', () => tokens.extend('k', 'x', 1000)],
      ['consume', () => tokens.consume('k', 'x')],
      ['revoke', () => tokens.revoke('k')],
      ['nextFence', () => tokens.nextFence('f')],
      ['begin', () => tokens.begin('r', { fingerprint: 'f', ttlMs: 1000, lockMs: 1000 })],
      ['complete', () => tokens.complete('r', 'x', 1)],
      ['abandon', () => tokens.abandon('r', 'x')],
    ];
    for (const [name, operation] of operations) {
      counted.reset();
      await operation();
      expect({ name, roundTrips: counted.count() }).toEqual({ name, roundTrips: 1 });
    }
  });

  it('rejects bad input before sending anything', async () => {
    const ttl = { ttlMs: 1000 };
    const begin = { fingerprint: 'f', ttlMs: 1000, lockMs: 1000 };
    const cases: BadInputCase[] = [
      ['key with a space', () => tokens.issue('bad key', ttl)],
      ['key with braces', () => tokens.get('{slot}')],
      ['empty key', () => tokens.consume('', 'x')],
      ['zero TTL', () => tokens.issue('k', { ttlMs: 0 })],
      ['negative TTL', () => tokens.extend('k', 'x', -5)],
      ['fractional TTL', () => tokens.issue('k', { ttlMs: 1.5 })],
      ['missing TTL', () => tokens.issue('k', {} as { ttlMs: number })],
      ['create without TTL', () => tokens.compareAndSet('k', null, 'v')],
      ['non-string value', () => tokens.compareAndSet('k', 'a', 5 as unknown as string)],
      ['oversized value', () => transport2().compareAndSet('k', 'a', 'x'.repeat(2000))],
      ['empty token', () => tokens.consume('k', '')],
      ['fence name', () => tokens.nextFence('a b')],
      ['empty fingerprint', () => tokens.begin('k', { ...begin, fingerprint: '' })],
      ['zero lockMs', () => tokens.begin('k', { ...begin, lockMs: 0 })],
      ['unencodable result', () => tokens.complete('k', 'x', 10n)],
      ['undefined result', () => tokens.complete('k', 'x', undefined)],
    ];
    function transport2() {
      return counted.transport.tokens({ maxValueBytes: 1000 });
    }
    await expectRejectedBeforeSending(counted, cases);
  });

  it('names the value and the fix in errors', async () => {
    const error = await tokens.issue('k', { ttlMs: -1 }).catch((e: unknown) => e);
    expect((error as Error).message).toBe(
      'Invalid ttlMs: -1. Pass a positive whole number of milliseconds, e.g. 30000 for 30 s.',
    );
    const oversized = await counted.transport
      .tokens({ maxValueBytes: 10 })
      .compareAndSet('k', 'a', 'x'.repeat(11))
      .catch((e: unknown) => e);
    expect((oversized as Error).message).toMatch(/11 bytes is over the limit of 10 bytes/);
  });
});
