// The SSE helper running in workerd (Miniflare) behind the REST proxy: events arrive with their
// ids and types, and a client that reconnects with Last-Event-ID resumes after that event.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startWorker, type RunningWorker } from '../scripts/lib/worker.js';
import { adapters } from './support/adapters.js';

const ENTRY = fileURLToPath(new URL('./fixtures/sse-worker.ts', import.meta.url));

interface SseMessage {
  id?: string;
  event?: string;
  data: string;
  comment?: string;
}

/** Reads server-sent events from a response body until `count` messages arrived. */
class SseReader {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  readonly #decoder = new TextDecoder();
  #buffer = '';

  constructor(response: Response) {
    this.#reader = response.body!.getReader();
  }

  async take(count: number, limitMs = 10_000): Promise<SseMessage[]> {
    const messages: SseMessage[] = [];
    const deadline = Date.now() + limitMs;
    while (messages.length < count) {
      const end = this.#buffer.indexOf('\n\n');
      if (end >= 0) {
        messages.push(parseMessage(this.#buffer.slice(0, end)));
        this.#buffer = this.#buffer.slice(end + 2);
        continue;
      }
      if (Date.now() > deadline) throw new Error(`only ${messages.length} of ${count} messages`);
      const { value, done } = await this.#reader.read();
      if (done) throw new Error(`stream ended after ${messages.length} of ${count} messages`);
      this.#buffer += this.#decoder.decode(value, { stream: true });
    }
    return messages;
  }

  async close(): Promise<void> {
    await this.#reader.cancel();
  }
}

function parseMessage(block: string): SseMessage {
  const message: SseMessage = { data: '' };
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) message.comment = line.slice(1).trim();
    else if (line.startsWith('id: ')) message.id = line.slice(4);
    else if (line.startsWith('event: ')) message.event = line.slice(7);
    else if (line.startsWith('data: ')) data.push(line.slice(6));
  }
  message.data = data.join('\n');
  return message;
}

describe.each(adapters)('event stream as SSE in workerd, published over $name', (adapter) => {
  const transport = adapter.create();
  let worker: RunningWorker;

  beforeAll(async () => {
    worker = await startWorker(
      {
        VALKEY_REST_URL: inject('proxyUrl'),
        VALKEY_REST_TOKEN: inject('proxyToken'),
        KEY_PREFIX: transport.prefix,
      },
      ENTRY,
    );
  });

  afterAll(async () => {
    await worker?.dispose();
    await transport.close();
  });

  function open(path: string, headers: Record<string, string> = {}): Promise<Response> {
    return fetch(`${worker.url}${path}`, { headers: { accept: 'text/event-stream', ...headers } });
  }

  it('streams events with ids and types', async () => {
    const stream = transport.events<{ n: number }>('orders');
    const published = [
      await stream.publish({ n: 1 }, { type: 'order.created' }),
      await stream.publish({ n: 2 }),
    ];
    const response = await open('/events/orders?from=earliest');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const reader = new SseReader(response);
    const messages = await reader.take(2);
    expect(messages).toEqual([
      { id: published[0]!.id, event: 'order.created', data: '{"n":1}' },
      { id: published[1]!.id, data: '{"n":2}' },
    ]);
    // Live: an event published now arrives on the open stream.
    const live = await stream.publish({ n: 3 }, { type: 'order.paid' });
    expect(await reader.take(1)).toEqual([{ id: live.id, event: 'order.paid', data: '{"n":3}' }]);
    await reader.close();
  });

  it('resumes after Last-Event-ID', async () => {
    const stream = transport.events<number>('resume');
    const ids: string[] = [];
    for (let n = 1; n <= 4; n++) ids.push((await stream.publish(n)).id);
    const first = new SseReader(await open('/events/resume?from=earliest'));
    const seen = await first.take(2);
    await first.close();
    const resumed = new SseReader(await open('/events/resume', { 'last-event-id': seen[1]!.id! }));
    const rest = await resumed.take(2);
    expect(rest.map((m) => m.id)).toEqual(ids.slice(2));
    expect(rest.map((m) => m.data)).toEqual(['3', '4']);
    await resumed.close();
  });

  it('sends a gap event when the client fell behind retention', async () => {
    const stream = transport.events<number>('trimmed', { maxLen: 100 });
    const old = await stream.publish(0);
    for (let n = 1; n <= 300; n++) await stream.publish(n);
    const reader = new SseReader(await open('/events/trimmed', { 'last-event-id': old.id }));
    const [gap, next] = await reader.take(2);
    expect(gap?.event).toBe('gap');
    const missed = (JSON.parse(gap!.data) as { missed: number }).missed;
    expect(missed).toBe(Number(next!.data) - 1);
    expect(missed).toBeGreaterThan(0);
    await reader.close();
  });

  it('keeps an idle stream alive with comments', async () => {
    const reader = new SseReader(await open('/events/idle?keepAliveMs=50'));
    const [message] = await reader.take(1);
    expect(message?.comment).toBe('keep-alive');
    await reader.close();
  });

  it('rejects a malformed Last-Event-ID', async () => {
    const response = await open('/events/orders', { 'last-event-id': 'not-an-id' });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: string };
    expect(body.error).toContain('Invalid Last-Event-ID: "not-an-id"');
  });
});
