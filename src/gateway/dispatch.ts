import { waitFor } from '../blocking.js';
import { InvalidArgumentError } from '../errors.js';
import type { Reply } from '../executor.js';
import { replyArray } from '../reply.js';
import type { ValkeyTransport } from '../valkey-transport.js';
import {
  encodeFrameBody,
  endToEndHeaders,
  frameToResponse,
  type ReplyFrame,
  type RequestFrame,
} from './frames.js';
import type { RoutingTable } from './registry-types.js';
import { RouteIndex } from './routing.js';
import { replyKey, serviceQueueName } from './service-queue.js';

export interface DispatchOptions {
  /** Time a request may take end to end, in ms; then the gateway answers 504. Default 10000. */
  timeoutMs?: number;
  /** Largest request body forwarded, in bytes; larger ones get 413. Default 1 MiB. */
  maxBodyBytes?: number;
  /** How long a routing table snapshot is reused before it is read again, in ms. Default 1000. */
  tableCacheMs?: number;
  /** Request header that selects a service version. Default `x-service-version`. */
  versionHeader?: string;
}

interface Snapshot {
  table: RoutingTable;
  index: RouteIndex;
  /** Server clock minus local clock when the snapshot was read, in ms. */
  clockOffsetMs: number;
  readAt: number;
}

/**
 * Sends HTTP requests to the services registered in Valkey: matches the route, enqueues a request
 * frame on the service's queue and waits for the reply frame. Keep one per isolate or process so
 * the routing table cache is shared by its requests.
 */
export class Dispatcher {
  readonly #transport: ValkeyTransport;
  readonly #timeoutMs: number;
  readonly #maxBodyBytes: number;
  readonly #tableCacheMs: number;
  readonly #versionHeader: string;
  #snapshot: Snapshot | undefined;
  #reading: Promise<Snapshot> | undefined;

  constructor(transport: ValkeyTransport, options: DispatchOptions = {}) {
    this.#transport = transport;
    this.#timeoutMs = positive('timeoutMs', options.timeoutMs ?? 10_000);
    this.#maxBodyBytes = positive('maxBodyBytes', options.maxBodyBytes ?? 1024 * 1024);
    this.#tableCacheMs = positive('tableCacheMs', options.tableCacheMs ?? 1000);
    this.#versionHeader = options.versionHeader ?? 'x-service-version';
  }

  /** The current routing table (cached for `tableCacheMs`). */
  async table(): Promise<RoutingTable> {
    return (await this.#currentSnapshot()).table;
  }

  async dispatch(request: Request): Promise<Response> {
    const started = Date.now();
    const url = new URL(request.url);
    const declared = Number(request.headers.get('content-length') ?? 0);
    if (declared > this.#maxBodyBytes) return this.#tooLarge(declared);
    const body = new Uint8Array(await request.arrayBuffer());
    if (body.byteLength > this.#maxBodyBytes) return this.#tooLarge(body.byteLength);

    const snapshot = await this.#currentSnapshot();
    const requested = request.headers.get(this.#versionHeader) ?? undefined;
    const match = snapshot.index.match(request.method, url.pathname, requested);
    if (!match) {
      const which = requested ? ` version ${requested}` : '';
      return jsonError(
        503,
        `No live service instance${which} serves ${request.method} ${url.pathname}.`,
      );
    }

    const queueName = serviceQueueName(match.service, match.version);
    const queue = this.#transport.queue<RequestFrame>(queueName);
    const correlationId = crypto.randomUUID();
    const frame: RequestFrame = {
      correlationId,
      method: request.method,
      path: url.pathname,
      query: url.search.slice(1),
      headers: endToEndHeaders(request.headers),
      body: encodeFrameBody(body),
      deadline: started + snapshot.clockOffsetMs + this.#timeoutMs,
      replyKey: replyKey(this.#transport.prefix, queueName, correlationId),
    };
    await queue.enqueue(frame);

    const remaining = this.#timeoutMs - (Date.now() - started);
    const reply = await this.#waitForReply(frame.replyKey, remaining);
    if (!reply) {
      return jsonError(
        504,
        `${match.service} ${match.version} did not reply to ${request.method} ${url.pathname} within ${this.#timeoutMs} ms.`,
      );
    }
    return frameToResponse(reply);
  }

  #waitForReply(key: string, waitMs: number): Promise<ReplyFrame | null> {
    const executor = this.#transport.executor;
    const parse = (reply: Reply) =>
      reply === null ? null : (JSON.parse(String(reply)) as ReplyFrame);
    return waitFor(
      executor,
      {
        // BLPOP takes seconds; a zero timeout would block forever, hence the floor of 1 ms.
        command: (blockMs) => ['BLPOP', key, (Math.max(blockMs, 1) / 1000).toFixed(3)],
        parse: (reply) => (reply === null ? null : parse(replyArray(reply, 'BLPOP')[1] ?? null)),
        poll: async () => parse(await executor.send(['LPOP', key])),
      },
      Math.max(waitMs, 1),
    );
  }

  async #currentSnapshot(): Promise<Snapshot> {
    const now = Date.now();
    if (this.#snapshot && now - this.#snapshot.readAt < this.#tableCacheMs) return this.#snapshot;
    // One read at a time: concurrent requests share it instead of each reading the table.
    this.#reading ??= this.#readSnapshot().finally(() => (this.#reading = undefined));
    return this.#reading;
  }

  async #readSnapshot(): Promise<Snapshot> {
    const before = Date.now();
    const table = await this.#transport.registry().table();
    const after = Date.now();
    const snapshot: Snapshot = {
      table,
      index: new RouteIndex(table),
      clockOffsetMs: table.serverTimeMs - Math.round((before + after) / 2),
      readAt: after,
    };
    this.#snapshot = snapshot;
    return snapshot;
  }

  #tooLarge(bytes: number): Response {
    return jsonError(
      413,
      `Request body of ${bytes} bytes is over the ${this.#maxBodyBytes}-byte limit.`,
    );
  }
}

/** A JSON error response, the shape every gateway error has. */
export function jsonError(status: number, message: string): Response {
  return new Response(JSON.stringify({ error: message }), {
    status,
    headers: { 'content-type': 'application/json' },
  });
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0)
    throw new InvalidArgumentError(name, value, 'Pass a positive number.');
  return value;
}
