import type { ServerResponse } from 'node:http';
import { createClient, ErrorReply } from '@redis/client';
import type { Grant } from './auth.js';
import { userUrl } from './backends.js';
import { HttpError, UnavailableError } from './http-error.js';

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
  readonly #streams = new Set<ServerResponse>();

  constructor(
    private readonly valkeyUrl: string,
    private readonly maxStreams: number,
    /** Time to connect and subscribe before the request fails with 503, in ms. */
    private readonly timeoutMs: number,
  ) {}

  get open(): number {
    return this.#streams.size;
  }

  /** Subscribes, then streams `data:` lines to `res` until the client disconnects. */
  async serve(
    res: ServerResponse,
    grant: Grant,
    pattern: boolean,
    names: string[],
    headers: Record<string, string>,
  ): Promise<void> {
    if (this.#streams.size >= this.maxStreams) {
      throw new UnavailableError(`All ${this.maxStreams} subscription streams are in use.`, 5);
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
    const subscribe = async () => {
      client = await this.#client(grant);
      for (const name of names) {
        const listener = messageWriter(res, pattern, name);
        listeners.push([name, listener]);
        await (pattern
          ? client.pSubscribe(name, listener, true)
          : client.subscribe(name, listener, true));
      }
    };
    try {
      await withDeadline(subscribe(), this.timeoutMs);
    } catch (error) {
      release();
      if (error instanceof ErrorReply) throw new HttpError(400, error.message);
      throw new UnavailableError(`Cannot subscribe: Valkey is unavailable (${String(error)}).`);
    }
    this.#stream(res, pattern, names, headers, release);
  }

  #stream(
    res: ServerResponse,
    pattern: boolean,
    names: string[],
    headers: Record<string, string>,
    release: () => void,
  ): void {
    this.#streams.add(res);
    res.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      'x-accel-buffering': 'no',
    });
    const kind = pattern ? 'psubscribe' : 'subscribe';
    names.forEach((name, i) => res.write(`data: ${kind},${name},${i + 1}\n\n`));
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
    res.once('close', () => {
      clearInterval(heartbeat);
      this.#streams.delete(res);
      release();
    });
  }

  /** Ends every stream (at shutdown) and closes the subscriber connections. */
  async close(): Promise<void> {
    for (const res of this.#streams) res.end();
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
 * A listener that writes each message as one SSE event. Payloads go out raw (never base64); a
 * payload with line breaks becomes several `data:` lines, as the SSE format requires.
 */
function messageWriter(res: ServerResponse, pattern: boolean, name: string): Listener {
  return (message, channel) => {
    if (res.writableLength > MAX_UNREAD_BYTES) {
      res.end();
      return;
    }
    const head = pattern
      ? `pmessage,${name},${channel.toString()}`
      : `message,${channel.toString()}`;
    const lines = message.toString('utf8').split(/\r\n|\r|\n/);
    res.write(`data: ${head},${lines.join('\ndata: ')}\n\n`);
  };
}

function withDeadline<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}
