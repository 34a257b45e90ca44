// Events the reader's codec cannot decode (published with another codec), over both adapters:
// readers get every event before the bad one, then an EventDecodeError whose id skips it.
import { afterAll, describe, expect, it } from 'vitest';
import { EventDecodeError, textCodec } from '../src/node/index.js';
import { adapters } from './support/adapters.js';

describe.each(adapters)('undecodable events over $name', (adapter) => {
  const transport = adapter.create();
  afterAll(() => transport.close());

  /** Publishes a JSON event, a plain-text event and another JSON event; returns their ids. */
  async function mixedStream(name: string): Promise<string[]> {
    const json = transport.events(name);
    const text = transport.events<string>(name, { codec: textCodec });
    const ids = [(await json.publish({ n: 1 })).id];
    ids.push((await text.publish('plain words')).id);
    ids.push((await json.publish({ n: 3 })).id);
    return ids;
  }

  it('reads up to a bad event, then skips it', async () => {
    const [first, bad, last] = await mixedStream('mixed-read');
    const events = transport.events('mixed-read');
    const page = await events.read();
    expect(page.events.map((event) => event.data)).toEqual([{ n: 1 }]);
    expect(page.cursor).toBe(first);
    const error = await events.read({ after: page.cursor }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EventDecodeError);
    expect((error as EventDecodeError).eventId).toBe(bad);
    expect((error as Error).message).toContain(`after: "${bad}"`);
    const rest = await events.read({ after: bad });
    expect(rest.events.map((event) => event.id)).toEqual([last]);
  });

  it('delivers a durable group past a bad event once it is acked', async () => {
    const [first, bad, last] = await mixedStream('mixed-durable');
    const events = transport.events('mixed-durable');
    const durable = await events.durable({ group: 'g', consumer: 'c', from: 'earliest' });
    const item = await durable.next();
    expect(item.value).toMatchObject({ kind: 'event', id: first, data: { n: 1 } });
    const error = await durable.next().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(EventDecodeError);
    expect((error as EventDecodeError).eventId).toBe(bad);
    expect(await durable.ack({ id: bad!, seq: 0 })).toBe(true);
    const after = await durable.next();
    expect(after.value).toMatchObject({ kind: 'event', id: last, data: { n: 3 } });
    await durable.close();
    // A new subscription of the same consumer re-reads only what was not acked.
    expect(await durable.ack({ id: first!, seq: 0 })).toBe(true);
    expect(await durable.ack({ id: last!, seq: 0 })).toBe(true);
    const again = await events.durable({ group: 'g', consumer: 'c' });
    await events.publish({ n: 4 });
    const fresh = await again.next();
    expect(fresh.value).toMatchObject({ kind: 'event', data: { n: 4 } });
    await again.close();
  });

  it('subscribes up to a bad event, then resumes after it', async () => {
    const [first, bad, last] = await mixedStream('mixed-subscribe');
    const events = transport.events('mixed-subscribe');
    const subscription = await events.subscribe({ from: 'earliest' });
    const item = await subscription.next();
    expect(item.value).toMatchObject({ kind: 'event', id: first, data: { n: 1 } });
    await expect(subscription.next()).rejects.toBeInstanceOf(EventDecodeError);
    await subscription.close();
    const resumed = await events.subscribe({ from: bad });
    const next = await resumed.next();
    expect(next.value).toMatchObject({ kind: 'event', id: last, data: { n: 3 } });
    await resumed.close();
  });
});
