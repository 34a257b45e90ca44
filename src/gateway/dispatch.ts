import { InvalidArgumentError } from '../errors.js';
import type { CommandExecutor } from '../executor.js';
import type { ValkeyTransport } from '../valkey-transport.js';
import {
  encodeFrameBody,
  endToEndHeaders,
  frameToResponse,
  parseReplyFrame,
  type RequestFrame,
} from './frames.js';
import type { RegistryOptions, RoutingTable } from './registry-types.js';
import { headerSize, readBodyCapped } from './request-body.js';
import { waitForReply } from './reply-wait.js';
import { RoutingCache } from './routing-cache.js';
import { isRouteMatch, type RouteMatch } from './routing.js';
import { replyKey, serviceQueueName } from './service-queue.js';
import {
  bodyTooLarge,
  forwardFailed,
  headersTooLarge,
  malformedReply,
  noRoute,
  timedOut,
} from './error-responses.js';

export interface DispatchOptions {
  /** Time a request may take end to end, in ms; then the gateway returns 504. Default 10000. */
  timeoutMs?: number;
  /** Largest request body forwarded, in bytes; larger ones get 413. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Largest total size of request header names and values; larger get 431. Default 64 KiB. */
  maxHeaderBytes?: number;
  /** How long a routing table snapshot is reused before it is read again, in ms. Default 1000. */
  tableCacheMs?: number;
  /** Request header that selects a service version. Default `x-service-version`. */
  versionHeader?: string;
  /** Liveness thresholds used to judge the routing table. Defaults: those of `RegistryOptions`. */
  registry?: RegistryOptions;
  /**
   * Executor for the blocking reply waits. With one of its own (over HTTP, a second executor with
   * its own request slots), the wait starts together with the enqueue, saving a round trip, and
   * waits can never hold the slots enqueues need. Default: the transport's executor, on which
   * the wait starts after the enqueue returns (over HTTP) or together with it (over TCP, where
   * blocking commands run on dedicated connections anyway).
   */
  replyExecutor?: CommandExecutor;
}

/**
 * Sends HTTP requests to the services registered in Valkey: matches the route, enqueues a request
 * frame on the queue of the chosen service version and waits for the reply frame. The gateway
 * picks the version; the live instances of that version pull from its queue, and their pull rules
 * put Healthy and less loaded instances first (see `RequestConsumer`). Keep one dispatcher per
 * isolate or process so its requests share the routing table cache.
 */
export class Dispatcher {
  readonly #transport: ValkeyTransport;
  readonly #routes: RoutingCache;
  readonly #timeoutMs: number;
  readonly #maxBodyBytes: number;
  readonly #maxHeaderBytes: number;
  readonly #versionHeader: string;
  readonly #replyExecutor: CommandExecutor;
  readonly #waitWithEnqueue: boolean;

  constructor(transport: ValkeyTransport, options: DispatchOptions = {}) {
    this.#transport = transport;
    this.#timeoutMs = positive('timeoutMs', options.timeoutMs ?? 10_000);
    this.#maxBodyBytes = positive('maxBodyBytes', options.maxBodyBytes ?? 1024 * 1024);
    this.#maxHeaderBytes = positive('maxHeaderBytes', options.maxHeaderBytes ?? 64 * 1024);
    const tableCacheMs = positive('tableCacheMs', options.tableCacheMs ?? 1000);
    this.#routes = new RoutingCache(transport.registry(options.registry), tableCacheMs);
    this.#versionHeader = options.versionHeader ?? 'x-service-version';
    this.#replyExecutor = options.replyExecutor ?? transport.executor;
    this.#waitWithEnqueue =
      options.replyExecutor !== undefined || transport.executor.kind === 'tcp';
  }

  /** Returns the current routing table (cached for `tableCacheMs`). */
  async table(): Promise<RoutingTable> {
    return (await this.#routes.current()).table;
  }

  /**
   * Forwards one request and resolves to the service's response, or to a JSON error: 405 wrong
   * method, 413 body too large, 431 headers too large, 502 service failure, malformed reply or
   * Valkey unreachable, 503 no live instance, 504 deadline passed. It never rejects.
   */
  async dispatch(request: Request): Promise<Response> {
    try {
      return await this.#dispatch(request, Date.now());
    } catch (error) {
      return forwardFailed(error);
    }
  }

  async #dispatch(request: Request, started: number): Promise<Response> {
    const declared = Number(request.headers.get('content-length') ?? 0);
    if (declared > this.#maxBodyBytes) return bodyTooLarge(declared, this.#maxBodyBytes);
    const headers = endToEndHeaders(request.headers);
    if (headerSize(headers) > this.#maxHeaderBytes) return headersTooLarge(this.#maxHeaderBytes);

    const { method } = request;
    const url = new URL(request.url);
    const snapshot = await this.#routes.current();
    const requested = request.headers.get(this.#versionHeader) ?? undefined;
    const route = snapshot.index.match(method, url.pathname, requested);
    if (!isRouteMatch(route)) return noRoute(method, url.pathname, requested, route.allowed);
    const body = await readBodyCapped(request, this.#maxBodyBytes);
    if (body === null) return bodyTooLarge(`over ${this.#maxBodyBytes}`, this.#maxBodyBytes);

    const frame: RequestFrame = {
      correlationId: crypto.randomUUID(),
      method,
      path: url.pathname,
      query: url.search.slice(1),
      headers,
      body: encodeFrameBody(body),
      deadline: started + snapshot.clockOffsetMs + this.#timeoutMs,
    };
    // TODO: honour `Idempotency-Key` on POST, PUT, PATCH and DELETE here, through the token
    // store's idempotency records. A completed key returns the stored response, a key still
    // running gets 409, and the same key with another body gets 422. Store the reply below.
    const reply = await this.#send(serviceQueueName(route.service, route.version), frame, started);
    if (reply === null) return timedOut(route, method, url.pathname, this.#timeoutMs);
    return toResponse(reply, route, method);
  }

  /** Enqueues the frame and waits for its reply until the deadline. */
  async #send(queueName: string, frame: RequestFrame, started: number): Promise<string | null> {
    // The bound on the frame's JSON size: base64 body, and header, path and query text at up to
    // six bytes a character (JSON's \u00XX escapes), so the queue's size cap never rejects it.
    const textSize = headerSize(frame.headers) + frame.path.length + frame.query.length;
    const maxBodyBytes = (frame.body?.length ?? 0) + 6 * textSize + 1024;
    const queue = this.#transport.queue<RequestFrame>(queueName, { maxBodyBytes });
    const key = replyKey(this.#transport.prefix, queueName, frame.correlationId);
    const remaining = () => this.#timeoutMs - (Date.now() - started);
    if (!this.#waitWithEnqueue) {
      await queue.enqueue(frame);
      return waitForReply(this.#replyExecutor, key, remaining());
    }
    const reply = waitForReply(this.#replyExecutor, key, remaining());
    // If the enqueue fails, the wait is left to end at the deadline; nothing will reply to it.
    reply.catch(() => undefined);
    await queue.enqueue(frame);
    return reply;
  }
}

/** Turns a reply frame's JSON into the response, or a 502 when no response can carry it. */
function toResponse(reply: string, route: RouteMatch, method: string): Response {
  const frame = parseReplyFrame(reply);
  if (!frame) return malformedReply(route);
  try {
    return frameToResponse(frame, method);
  } catch {
    // A status or header that no HTTP response can carry (status 1000, a newline in a value).
    return malformedReply(route);
  }
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0)
    throw new InvalidArgumentError(name, value, 'Pass a positive number.');
  return value;
}
