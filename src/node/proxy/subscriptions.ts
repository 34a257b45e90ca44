import { createClient, ErrorReply } from '@redis/client';
import type { Grant } from './auth.js';
import { userUrl } from './backends.js';
import { BusyError, HttpError, UnavailableError } from './http-error.js';

type Subscriber = ReturnType<typeof createClient>;
type Listener = (message: Buffer, channel: Buffer) => void;

/** SSE comment sent this often so proxies keep the stream open and a gone client is noticed. */
const HEARTBEAT_MS = 15_000;
/** Bytes a slow client may leave unread before its stream is ended instead of buffered. */
const MAX_UNREAD_BYTES = 1024 * 1024;

/**
 * Serves `/subscribe/<channel>` and `/psubscribe/<pattern>` as server-sent events. Each ACL user
 * has one subscriber connection that its streams share; a stream's subscriptions are released
 * when its client goes away, so Valkey stops delivering to it.
 */
export class Subscriptions {
  readonly #clients = new Map<string, Promise<Subscriber>>();
  /** The `end` function of every open stream. */
  readonly #streams = new Set<() => void>();
  /** Streams still subscribing: they hold a slot, so concurrent requests cannot pass the cap. */
  #starting = 0;

  constructor(
    private readonly valkeyUrl: string,
    private readonly maxStreams: number,
    /** Time to connect and subscribe before the request fails with 503, in ms. */
    private readonly timeoutMs: number,
  ) {}

  get open(): number {
    return this.#streams.size + this.#starting;
  }

  /**
   * Subscribes, then returns the 200 response whose body streams `data:` lines until the client
   * goes away (the body stream is cancelled) or the proxy shuts down.
   */
  async serve(
    grant: Grant,
    pattern: boolean,
    names: string[],
    headers: Record<string, string>,
  ): Promise<Response> {
    if (this.open >= this.maxStreams) {
      throw new BusyError(`All ${this.maxStreams} subscription streams are in use.`, 5);
    }
    const listeners: [string, Listener][] = [];
    let client: Subscriber | undefined;
    const release = () => {
      if (!client) return;
      for (const [name, listener] of listeners.splice(0)) {
        const done = pattern
          ? client.pUnsubscribe(name, listener, true)
          : client.unsubscribe(name, listener, true);
        done.catch(() => {
          // The connection is gone, and its subscriptions with it.
        });
      }
    };
    const events = new EventStream();
    const subscribe = async () => {
      client = await this.#client(grant);
      for (const name of names) {
        const listener = messageWriter(events, pattern, name);
        listeners.push([name, listener]);
        await (pattern
          ? client.pSubscribe(name, listener, true)
          : client.subscribe(name, listener, true));
      }
    };
    this.#starting++;
    try {
      await withDeadline(subscribe(), this.timeoutMs);
    } catch (error) {
      release();
      if (error instanceof ErrorReply) throw new HttpError(400, error.message);
      throw new UnavailableError(`Cannot subscribe: Valkey is unavailable (${String(error)}).`);
    } finally {
      this.#starting--;
    }
    const kind = pattern ? 'psubscribe' : 'subscribe';
    names.forEach((name, i) => events.send(`data: ${kind},${name},${i + 1}\n\n`));
    const heartbeat = setInterval(() => events.send(': keep-alive\n\n'), HEARTBEAT_MS);
    const end = () => {
      clearInterval(heartbeat);
      this.#streams.delete(end);
      release();
      events.end();
    };
    events.onEnd = end;
    this.#streams.add(end);
    return new Response(events.body, {
      status: 200,
      headers: {
        ...headers,
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        'x-accel-buffering': 'no',
      },
    });
  }

  /** Ends every stream (at shutdown) and closes the subscriber connections. */
  async close(): Promise<void> {
    for (const end of [...this.#streams]) end();
    const clients = await Promise.allSettled(this.#clients.values());
    this.#clients.clear();
    for (const result of clients) if (result.status === 'fulfilled') result.value.destroy();
  }

  #client(grant: Grant): Promise<Subscriber> {
    const key = grant.user === undefined ? '' : JSON.stringify([grant.user, grant.password]);
    let pending = this.#clients.get(key);
    if (!pending) {
      const client = createClient({
        url: userUrl(this.valkeyUrl, grant).replace(/^valkey(s?):/, 'redis$1:'),
        RESP: 2,
        socket: { reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 2000) },
      });
      client.on('error', () => {
        // Reconnects are retried by the client; subscriptions are restored when it is back.
      });
      pending = client.connect().then(() => client as Subscriber);
      pending.catch(() => {
        this.#clients.delete(key);
        client.destroy();
      });
      this.#clients.set(key, pending);
    }
    return pending;
  }
}

/**
 * The body of one SSE response. It ends itself once more than `MAX_UNREAD_BYTES` wait for a slow
 * client, and calls `onEnd` when the client goes away (the server cancels the body stream).
 */
class EventStream {
  readonly body: ReadableStream<Uint8Array>;
  onEnd: () => void = () => {};
  #controller!: ReadableStreamDefaultController<Uint8Array>;
  #open = true;

  constructor() {
    this.body = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.#controller = controller;
        },
        cancel: () => {
          this.#open = false;
          this.onEnd();
        },
      },
      new ByteLengthQueuingStrategy({ highWaterMark: MAX_UNREAD_BYTES }),
    );
  }

  send(text: string): void {
    if (!this.#open) return;
    if ((this.#controller.desiredSize ?? 0) <= 0) {
      this.onEnd();
      return;
    }
    this.#controller.enqueue(Buffer.from(text));
  }

  end(): void {
    if (!this.#open) return;
    this.#open = false;
    this.#controller.close();
  }
}

/**
 * Builds a listener that sends each message as one SSE event. Payloads go out raw (never base64); a
 * payload with line breaks becomes several `data:` lines, as the SSE format requires.
 */
function messageWriter(events: EventStream, pattern: boolean, name: string): Listener {
  return (message, channel) => {
    const head = pattern
      ? `pmessage,${name},${channel.toString()}`
      : `message,${channel.toString()}`;
    const lines = message.toString('utf8').split(/\r\n|\r|\n/);
    events.send(`data: ${head},${lines.join('\ndata: ')}\n\n`);
  };
}

function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no reply within ${ms} ms`)), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}
