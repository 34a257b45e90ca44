// The event stream over TCP and over HTTP through the proxy: publish with retention, reads after
// a cursor, subscriptions that resume and report gaps, and durable consumer groups.
import { afterAll, describe, expect, it } from 'vitest';
import {
  InvalidArgumentError,
  type Published,
  type StreamItem,
  type Subscription,
} from '../src/node/index.js';
import { adapters } from './support/adapters.js';
import {
  countedTransport,
  expectRejectedBeforeSending,
  type BadInputCase,
} from './support/round-trips.js';

/** Returns the next item of a subscription, or fails after `limitMs` instead of hanging. */
async function nextItem<T>(
  subscription: Subscription<T>,
  limitMs = 10_000,
): Promise<StreamItem<T>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no item within ${limitMs} ms`)), limitMs);
  });
  try {
    const result = await Promise.race([subscription.next(), timeout]);
    if (result.done) throw new Error('the subscription ended');
    return result.value;
  } finally {
    clearTimeout(timer);
  }
}

async function takeItems<T>(
  subscription: Subscription<T>,
  count: number,
): Promise<StreamItem<T>[]> {
  const items: StreamItem<T>[] = [];
  while (items.length < count) items.push(await nextItem(subscription));
  return items;
}

function dataOf<T>(items: StreamItem<T>[]): T[] {
  return items.flatMap((item) => (item.kind === 'event' ? [item.data] : []));
}

describe.each(adapters)('event stream over $name', (adapter) => {
  const transport = adapter.create();

  afterAll(() => transport.close());

  it('publishes numbered events and reads them after a cursor', async () => {
    const stream = transport.events<{ n: number }>('basic');
    const published: Published[] = [];
    for (let n = 1; n <= 5; n++) published.push(await stream.publish({ n }, { type: 'tick' }));
    expect(published.map((p) => p.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(published[0]!.id).toMatch(/^\d+-1$/);

    const all = await stream.read();
    expect(all.events.map((e) => e.data)).toEqual([1, 2, 3, 4, 5].map((n) => ({ n })));
    expect(all.events.every((e) => e.type === 'tick' && e.kind === 'event')).toBe(true);
    expect(all.events[0]!.timestamp).toBe(Number(published[0]!.id.split('-')[0]));
    expect(all.cursor).toBe(published[4]!.id);
    expect(all.missed).toBe(0);

    const page = await stream.read({ after: published[1]!.id, count: 2 });
    expect(page.events.map((e) => e.seq)).toEqual([3, 4]);
    const rest = await stream.read({ after: page.cursor });
    expect(rest.events.map((e) => e.seq)).toEqual([5]);
    const none = await stream.read({ after: rest.cursor });
    expect(none).toEqual({ events: [], cursor: rest.cursor, missed: 0 });
  });

  it('trims by length and reports what a reader missed', async () => {
    const stream = transport.events<number>('by-length', { maxLen: 100 });
    const published: Published[] = [];
    for (let n = 1; n <= 400; n++) published.push(await stream.publish(n));
    const reader = published[4]!.id;
    let cursor = reader;
    let missed = 0;
    const seen: number[] = [];
    for (;;) {
      const page = await stream.read({ after: cursor, count: 50 });
      if (page.events.length === 0 && page.missed === 0) break;
      missed += page.missed;
      seen.push(...page.events.map((e) => e.data));
      cursor = page.cursor;
    }
    expect(missed).toBeGreaterThan(0);
    expect(seen.length).toBeGreaterThanOrEqual(100);
    // Every event after the reader's cursor was either read or counted as missed.
    expect(missed + seen.length).toBe(395);
    expect(seen).toEqual(Array.from({ length: seen.length }, (_, i) => 401 - seen.length + i));
  });

  it('trims by age on the server clock', async () => {
    const stream = transport.events<number>('by-age', { maxAgeMs: 300 });
    await Promise.all(Array.from({ length: 250 }, (_, n) => stream.publish(n)));
    await new Promise((resolve) => setTimeout(resolve, 400));
    const latest = await stream.publish(-1);
    const page = await stream.read({ after: '0-0', count: 1000 });
    // Approximate trimming removes whole stream nodes (100 entries by default), so some of the
    // old events may stay; the new one always does.
    expect(page.events.length).toBeLessThan(251);
    expect(page.events.at(-1)?.id).toBe(latest.id);
  });

  it('reports events lost when the whole stream was trimmed', async () => {
    const stream = transport.events<number>('emptied');
    const first = await stream.publish(1);
    await stream.publish(2);
    const last = await stream.publish(3);
    await transport.executor.send(['XTRIM', `${transport.prefix}:{e:emptied}:stream`, 'MAXLEN', 0]);
    const page = await stream.read({ after: first.id });
    expect(page).toEqual({ events: [], cursor: last.id, missed: 2 });
    // From the oldest retained event nothing counts as missed.
    expect((await stream.read()).missed).toBe(0);
  });

  it('subscribes from the earliest event and follows new ones', async () => {
    const stream = transport.events<string>('follow');
    await stream.publish('a');
    await stream.publish('b');
    const subscription = await stream.subscribe({ from: 'earliest' });
    expect(dataOf(await takeItems(subscription, 2))).toEqual(['a', 'b']);
    const waiting = nextItem(subscription);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const c = await stream.publish('c');
    const item = await waiting;
    expect(item.kind).toBe('event');
    expect(item.kind === 'event' ? item.data : undefined).toBe('c');
    expect(subscription.cursor).toBe(c.id);
    await subscription.close();
  });

  it('never misses an event published after subscribe from latest', async () => {
    const stream = transport.events<number>('latest-race', { maxLen: 100_000 });
    for (let i = 0; i < 1000; i++) {
      // Subscribe and publish at the same moment; whether the racing event is included depends
      // on which reached the server first, and the start cursor shows which did.
      const [subscription, racing] = await Promise.all([
        stream.subscribe({ from: 'latest' }),
        stream.publish(2 * i),
      ]);
      const start = subscription.cursor;
      const after = await stream.publish(2 * i + 1);
      const expected = [racing, after].filter((p) => p.seq > Number(start.split('-')[1]));
      const received: number[] = [];
      while (received.at(-1) !== after.seq) {
        const item = await nextItem(subscription, 5000);
        if (item.kind === 'gap') throw new Error(`unexpected gap of ${item.missed}`);
        received.push(item.seq);
      }
      expect(received).toEqual(expected.map((p) => p.seq));
      await subscription.close();
    }
  });

  it('resumes after a restart from the saved cursor', async () => {
    const stream = transport.events<number>('resume');
    for (let n = 1; n <= 5; n++) await stream.publish(n);
    const first = await stream.subscribe({ from: 'earliest' });
    expect(dataOf(await takeItems(first, 3))).toEqual([1, 2, 3]);
    const saved = first.cursor;
    await first.close();
    await stream.publish(6);
    const resumed = await stream.subscribe({ from: saved });
    expect(dataOf(await takeItems(resumed, 3))).toEqual([4, 5, 6]);
    await resumed.close();
  });

  it('gives a subscriber that fell behind a gap, then the rest', async () => {
    const stream = transport.events<number>('behind', { maxLen: 100 });
    await stream.publish(0);
    const subscription = await stream.subscribe({ from: 'earliest' });
    expect(dataOf(await takeItems(subscription, 1))).toEqual([0]);
    for (let n = 1; n <= 300; n++) await stream.publish(n);
    const [gap, event] = await takeItems(subscription, 2);
    expect(gap?.kind).toBe('gap');
    expect(event?.kind).toBe('event');
    if (gap?.kind !== 'gap' || event?.kind !== 'event') return;
    expect(gap.missed).toBe(event.data - 1);
    expect(gap.missed).toBeGreaterThan(0);
    await subscription.close();
    // The cursor after the gap resumes without reporting it again.
    const resumed = await stream.subscribe({ from: gap.cursor });
    expect(await nextItem(resumed)).toMatchObject({ kind: 'event', data: event.data });
    await resumed.close();
  });

  it('ends a waiting subscription on close, break and abort', async () => {
    const stream = transport.events<number>('closing');
    const closed = await stream.subscribe();
    const pending = closed.next();
    await new Promise((resolve) => setTimeout(resolve, 50));
    await closed.close();
    expect(await pending).toEqual({ value: undefined, done: true });

    const controller = new AbortController();
    const aborted = await stream.subscribe({ signal: controller.signal });
    const waiting = aborted.next();
    controller.abort();
    expect(await waiting).toEqual({ value: undefined, done: true });

    await stream.publish(1);
    const looped = await stream.subscribe({ from: 'earliest' });
    const seen: number[] = [];
    for await (const item of looped) {
      if (item.kind === 'event') seen.push(item.data);
      break;
    }
    expect(seen).toEqual([1]);
    expect(await looped.next()).toEqual({ value: undefined, done: true });
    // The transport still works after cancelled blocking reads.
    expect((await stream.read()).events).toHaveLength(1);
  });
});

describe.each(adapters)('durable event subscriptions over $name', (adapter) => {
  const transport = adapter.create();

  afterAll(() => transport.close());

  it('shares a group among consumers, each event once', async () => {
    const stream = transport.events<number>('shared');
    for (let n = 0; n < 20; n++) await stream.publish(n);
    // One event per fetch, so that alternating between the consumers never waits on an empty one.
    const one = await stream.durable({
      group: 'billing',
      consumer: 'c1',
      from: 'earliest',
      count: 1,
    });
    const two = await stream.durable({ group: 'billing', consumer: 'c2', count: 1 });
    const seen: number[] = [];
    while (seen.length < 20) {
      for (const consumer of [one, two]) {
        const item = await nextItem(consumer);
        if (item.kind !== 'event') throw new Error('unexpected gap');
        seen.push(item.data);
        expect(await consumer.ack(item)).toBe(true);
      }
    }
    expect([...seen].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, n) => n));
    // A second group gets every event again.
    const audit = await stream.durable({ group: 'audit', consumer: 'a1', from: 'earliest' });
    expect(dataOf(await takeItems(audit, 20))).toEqual(Array.from({ length: 20 }, (_, n) => n));
    await Promise.all([one.close(), two.close(), audit.close()]);
  });

  it('starts a latest group where the stream is when it resolves', async () => {
    const stream = transport.events<string>('late-group');
    await stream.publish('before');
    const group = await stream.durable({ group: 'g', consumer: 'c1' });
    await stream.publish('after');
    expect(dataOf([await nextItem(group)])).toEqual(['after']);
    await group.close();
  });

  it('delivers unacked events again after a restart', async () => {
    const stream = transport.events<number>('restart');
    for (let n = 1; n <= 6; n++) await stream.publish(n);
    const options = { group: 'g', consumer: 'worker-1', from: 'earliest' as const };
    const crashed = await stream.durable(options);
    const taken = await takeItems(crashed, 4);
    await crashed.ack(taken[0] as Published);
    await crashed.close();
    const restarted = await stream.durable(options);
    expect(dataOf(await takeItems(restarted, 5))).toEqual([2, 3, 4, 5, 6]);
    await restarted.close();
  });

  it('hands events another consumer left unacked to a live one', async () => {
    const stream = transport.events<number>('takeover');
    for (let n = 1; n <= 3; n++) await stream.publish(n);
    const options = { group: 'g', from: 'earliest' as const, claimIdleMs: 200 };
    const dead = await stream.durable({ ...options, consumer: 'dead' });
    expect(dataOf(await takeItems(dead, 3))).toEqual([1, 2, 3]);
    await dead.close();
    const live = await stream.durable({ ...options, consumer: 'live' });
    const items = await takeItems(live, 3);
    expect(dataOf(items)).toEqual([1, 2, 3]);
    for (const item of items) expect(await live.ack(item as Published)).toBe(true);
    expect(await live.ack(items[0] as Published)).toBe(false);
    await live.close();
  });

  it('reports a gap when a group fell behind retention', async () => {
    const stream = transport.events<number>('group-behind', { maxLen: 100 });
    await stream.publish(0);
    const group = await stream.durable({ group: 'slow', consumer: 'c1', from: 'earliest' });
    const first = await nextItem(group);
    await group.ack(first as Published);
    for (let n = 1; n <= 300; n++) await stream.publish(n);
    const [gap, event] = await takeItems(group, 2);
    expect(gap?.kind).toBe('gap');
    if (gap?.kind !== 'gap' || event?.kind !== 'event') throw new Error('expected a gap');
    expect(gap.missed).toBe(event.data - 1);
    await group.close();
  });
});

describe.each(adapters)('event stream round trips over $name', (adapter) => {
  const counted = countedTransport(adapter);
  const stream = counted.transport.events<unknown>('counted', { maxEventBytes: 1000 });

  afterAll(() => counted.transport.close());

  it('publishes and reads in one round trip each', async () => {
    await stream.publish('warm');
    await stream.read();
    for (const [name, operation] of [
      ['publish', () => stream.publish({ a: 1 }, { type: 'x' })],
      ['read', () => stream.read({ count: 10 })],
      ['subscribe from latest', () => stream.subscribe({ from: 'latest' })],
    ] as const) {
      counted.reset();
      await operation();
      expect({ name, roundTrips: counted.count() }).toEqual({ name, roundTrips: 1 });
    }
  });

  it('rejects bad input before sending anything', async () => {
    const cases: BadInputCase[] = [
      ['oversized data', () => stream.publish('x'.repeat(1001))],
      ['undefined data', () => stream.publish(undefined)],
      ['BigInt data', () => stream.publish(1n)],
      ['event type with a space', () => stream.publish(1, { type: 'a b' })],
      ['cursor that is not an id', () => stream.read({ after: 'yesterday' })],
      ['zero count', () => stream.read({ count: 0 })],
      ['subscribe from a bad cursor', () => stream.subscribe({ from: '12' })],
      ['group name', () => stream.durable({ group: '', consumer: 'c' })],
      ['consumer name', () => stream.durable({ group: 'g', consumer: 'a b' })],
      [
        'durable start',
        () => stream.durable({ group: 'g', consumer: 'c', from: '0-0' as 'latest' }),
      ],
      ['claimIdleMs', () => stream.durable({ group: 'g', consumer: 'c', claimIdleMs: 0 })],
    ];
    await expectRejectedBeforeSending(counted, cases);
    expect(() => counted.transport.events('no spaces allowed')).toThrow(InvalidArgumentError);
    expect(() => counted.transport.events('s', { maxLen: 0 })).toThrow(InvalidArgumentError);
    expect(() => counted.transport.events('s', { maxAgeMs: -1 })).toThrow(InvalidArgumentError);
  });
});
