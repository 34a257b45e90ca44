import type { Context } from 'hono';
import { streamSSE, type SSEStreamingApi } from 'hono/streaming';
import { InvalidArgumentError } from '../errors.js';
import { validateCursor } from './cursor.js';
import type { EventStream, StreamEvent, StreamItem, Subscription } from './types.js';

export interface SseOptions<T> {
  /** Where a client without `Last-Event-ID` starts: `'earliest'` or `'latest'` (default). */
  from?: 'earliest' | 'latest';
  /** Interval of keep-alive comments while no event arrives, in ms. Default 15000. */
  keepAliveMs?: number;
  /** Turns an event into the SSE `data` text. Default: `JSON.stringify(event.data)`. */
  format?: (event: StreamEvent<T>) => string;
}

const KEEP_ALIVE = Symbol('keep-alive');

/**
 * Serves an event stream as server-sent events from a Hono handler. A client that reconnects
 * with `Last-Event-ID` (EventSource does so by itself; `?lastEventId=` works too) resumes after
 * that event. Each event is sent with its id and, when it has one, its type as `event:`; events
 * lost to retention arrive as one `event: gap` whose data is `{"missed": n}`.
 *
 * NOTE: over HTTP each wait for new events is one request to the REST proxy (up to 10 s each),
 * and Workers cap the subrequests of one incoming request, so a long-lived stream in a Worker
 * ends at that cap; EventSource clients then reconnect with Last-Event-ID and lose nothing.
 *
 * @example
 * app.get('/orders/events', (c) => streamEvents(c, transport.events('orders')));
 */
export async function streamEvents<T>(
  c: Context,
  events: EventStream<T>,
  options: SseOptions<T> = {},
): Promise<Response> {
  const lastEventId = c.req.header('last-event-id') ?? c.req.query('lastEventId');
  let from: string;
  try {
    from = lastEventId
      ? validateCursor(lastEventId.trim(), 'Last-Event-ID')
      : (options.from ?? 'latest');
  } catch (error) {
    if (error instanceof InvalidArgumentError) return c.json({ error: error.message }, 400);
    throw error;
  }
  const keepAliveMs = options.keepAliveMs ?? 15_000;
  const format = options.format ?? ((event: StreamEvent<T>) => JSON.stringify(event.data));
  const subscription = await events.subscribe({ from, signal: c.req.raw.signal });
  return streamSSE(
    c,
    async (sse) => {
      sse.onAbort(() => void subscription.close());
      await pump(sse, subscription, keepAliveMs, format);
    },
    async () => {
      // Hono then sends the error as an `event: error` message and closes the stream.
      await subscription.close();
    },
  );
}

async function pump<T>(
  sse: SSEStreamingApi,
  subscription: Subscription<T>,
  keepAliveMs: number,
  format: (event: StreamEvent<T>) => string,
): Promise<void> {
  let next = subscription.next();
  while (!sse.aborted && !sse.closed) {
    const result = await raceKeepAlive(next, keepAliveMs);
    if (result === KEEP_ALIVE) {
      await sse.write(': keep-alive\n\n');
      continue;
    }
    if (result.done) return;
    await sse.writeSSE(toMessage(result.value, format));
    next = subscription.next();
  }
}

function toMessage<T>(
  item: StreamItem<T>,
  format: (event: StreamEvent<T>) => string,
): { id: string; event?: string; data: string } {
  if (item.kind === 'gap') {
    return { id: item.cursor, event: 'gap', data: JSON.stringify({ missed: item.missed }) };
  }
  return { id: item.id, event: item.type, data: format(item) };
}

function raceKeepAlive<R>(promise: Promise<R>, ms: number): Promise<R | typeof KEEP_ALIVE> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const keepAlive = new Promise<typeof KEEP_ALIVE>((resolve) => {
    timer = setTimeout(() => resolve(KEEP_ALIVE), ms);
  });
  return Promise.race([promise, keepAlive]).finally(() => clearTimeout(timer));
}
