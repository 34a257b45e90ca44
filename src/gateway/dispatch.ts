import { InvalidArgumentError } from '../errors.js';
import { MAX_TIMER_MS } from '../validate.js';
import type { CommandExecutor } from '../executor.js';
import type { ValkeyTransport } from '../valkey-transport.js';
import {
  encodeFrameBody,
  endToEndHeaders,
  frameToResponse,
  parseReplyFrame,
  type RequestFrame,
} from './frames.js';
import type { RegistryOptions, RoutingTable, ServiceRegistry } from './registry-types.js';
import { headerSize, readBodyCapped } from './request-body.js';
import { waitForReply } from './reply-wait.js';
import { RoutingCache } from './routing-cache.js';
import { isRouteMatch, type RouteMatch } from './routing.js';
import { replyKey, serviceQueueName } from './service-queue.js';
import { IdempotencyGuard, type Outcome } from './idempotency.js';
import { storedResponseCodec } from '../tokens/stored-response.js';
import {
  bodyTooLarge,
  forwardFailed,
  headersTooLarge,
  malformedReply,
  noRoute,
  stalled,
  timedOut,
} from './error-responses.js';

/**
 * Time past the deadline that a dispatch may take before it returns 504 whatever it waits on, in
 * ms. The reply wait ends at the deadline itself, so this only cuts off steps that stall.
 */
const DEADLINE_MARGIN_MS = 1000;

export interface DispatchOptions {
  /** Time a request may take end to end, in ms; then the gateway returns 504. Default 10000. */
  timeoutMs?: number;
  /** Largest request body forwarded, in bytes; larger ones get 413. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Largest total size of request header names and values; larger get 431. Default 64 KiB. */
  maxHeaderBytes?: number;
  /** How long a routing table snapshot is reused before it is read again, in ms. Default 1000. */
  tableCacheMs?: number;
  /**
   * Routing table cache to share with other dispatchers (then `tableCacheMs` is its own). A
   * Worker builds a dispatcher per request, so no request waits on another's I/O, and shares
   * one cache per isolate. Default: a cache of this dispatcher's own.
   */
  routingCache?: RoutingCache;
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
  /**
   * Receives the errors behind a 502 "failed to forward" (Valkey or the proxy unreachable, for
   * example), each with the `id` that the response names. Default: `console.error`, which a
   * Worker's logs show.
   */
  onError?: (error: unknown) => void;
  /** How long the response to a request with `Idempotency-Key` is kept, in ms. Default 24 h. */
  idempotencyTtlMs?: number;
  /**
   * Largest stored response to a request with `Idempotency-Key`, in bytes of its encoded record
   * (base64 body plus headers). A larger response is returned but not stored. Default 8 MiB.
   */
  maxStoredResponseBytes?: number;
}

/**
 * Sends HTTP requests to the services registered in Valkey: matches the route, enqueues a request
 * frame on the queue of the chosen service version and waits for the reply frame. The gateway
 * picks the version. The live instances of that version pull from its queue, and their pull rules
 * put Healthy and less loaded instances first (see `RequestConsumer`). In Node, keep one
 * dispatcher per process. In workerd, build one per request on one shared `RoutingCache`, because
 * a request there must not wait on I/O (a batched fetch, a request slot) that another started.
 */
export class Dispatcher {
  readonly #transport: ValkeyTransport;
  readonly #routes: RoutingCache;
  readonly #registry: ServiceRegistry;
  readonly #timeoutMs: number;
  readonly #maxBodyBytes: number;
  readonly #maxHeaderBytes: number;
  readonly #versionHeader: string;
  readonly #replyExecutor: CommandExecutor;
  readonly #waitWithEnqueue: boolean;
  readonly #idempotency: IdempotencyGuard;
  readonly #onError: (error: unknown) => void;

  constructor(transport: ValkeyTransport, options: DispatchOptions = {}) {
    this.#transport = transport;
    this.#timeoutMs = positive('timeoutMs', options.timeoutMs ?? 10_000);
    if (this.#timeoutMs > MAX_TIMER_MS) {
      // setTimeout fires at once for longer delays, which would turn every request into a 504.
      throw new InvalidArgumentError(
        'timeoutMs',
        this.#timeoutMs,
        `Pass at most ${MAX_TIMER_MS} ms (about 24.8 days).`,
      );
    }
    this.#maxBodyBytes = positive('maxBodyBytes', options.maxBodyBytes ?? 1024 * 1024);
    this.#maxHeaderBytes = positive('maxHeaderBytes', options.maxHeaderBytes ?? 64 * 1024);
    this.#registry = transport.registry(options.registry);
    this.#routes =
      options.routingCache ??
      new RoutingCache(positive('tableCacheMs', options.tableCacheMs ?? 1000));
    this.#versionHeader = options.versionHeader ?? 'x-service-version';
    this.#onError = options.onError ?? ((error) => console.error('gateway: forward failed', error));
    this.#replyExecutor = options.replyExecutor ?? transport.executor;
    this.#waitWithEnqueue =
      options.replyExecutor !== undefined || transport.executor.kind === 'tcp';
    const records = transport.tokens({
      resultCodec: storedResponseCodec,
      maxValueBytes: positive('maxStoredResponseBytes', options.maxStoredResponseBytes ?? 8 << 20),
    });
    const idempotencyTtlMs = positive('idempotencyTtlMs', options.idempotencyTtlMs ?? 86_400_000);
    // The claim outlives the dispatch by a margin, so only a gateway that dies leaves it to expire.
    const lockMs = Math.ceil(this.#timeoutMs) + 5000;
    this.#idempotency = new IdempotencyGuard(records, Math.ceil(idempotencyTtlMs), lockMs);
  }

  /** Returns the current routing table (cached for `tableCacheMs`). */
  async table(): Promise<RoutingTable> {
    return (await this.#routes.current(this.#registry)).table;
  }

  /**
   * Forwards one request and resolves to the service's response, or to a JSON error. The errors
   * are 405 wrong method, 413 body too large, 431 headers too large, 502 service failure,
   * malformed reply or Valkey unreachable, 503 no live instance and 504 deadline passed. With
   * `Idempotency-Key` on POST, PUT, PATCH or DELETE it may also return the stored response of an
   * earlier request, 400 invalid key, 409 the same key still running, or 422 the same key with
   * another request (`IdempotencyGuard`). It never rejects.
   */
  async dispatch(request: Request): Promise<Response> {
    const started = Date.now();
    const work = this.#dispatch(request, started).catch((error: unknown) =>
      forwardFailed(error, this.#onError),
    );
    // A stalled Valkey or proxy would otherwise hold the request for the executor's own timeout
    // (10 s over HTTP), past this dispatcher's deadline. The work left behind settles on its own.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<Response>((resolve) => {
      timer = setTimeout(
        () => resolve(stalled(request, this.#timeoutMs)),
        this.#timeoutMs + DEADLINE_MARGIN_MS,
      );
    });
    try {
      return await Promise.race([work, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  async #dispatch(request: Request, started: number): Promise<Response> {
    const declared = Number(request.headers.get('content-length') ?? 0);
    if (declared > this.#maxBodyBytes) return bodyTooLarge(declared, this.#maxBodyBytes);
    const headers = endToEndHeaders(request.headers);
    if (headerSize(headers) > this.#maxHeaderBytes) return headersTooLarge(this.#maxHeaderBytes);

    const { method } = request;
    const url = new URL(request.url);
    const snapshot = await this.#routes.current(this.#registry);
    const requested = request.headers.get(this.#versionHeader) ?? undefined;
    const route = snapshot.index.match(method, url.pathname, requested);
    if (!isRouteMatch(route)) return noRoute(method, url.pathname, requested, route.allowed);
    const body = await readBodyCapped(request, this.#maxBodyBytes);
    if (body === null) return bodyTooLarge(`over ${this.#maxBodyBytes}`, this.#maxBodyBytes);

    const query = url.search.slice(1);
    const target = { method, path: url.pathname, query, body };
    const claim = await this.#idempotency.claim(request, route.service, target);
    if (claim.kind === 'answer') return claim.response;
    const frame: RequestFrame = {
      correlationId: crypto.randomUUID(),
      method,
      path: url.pathname,
      query,
      headers,
      body: encodeFrameBody(body),
      deadline: started + snapshot.clockOffsetMs + this.#timeoutMs,
    };
    if (claim.kind === 'none') return (await this.#forward(route, frame, started)).response;
    // The key is held: whatever happens, settle it, so it is stored or released at once.
    const outcome = await this.#forward(route, frame, started).catch((error: unknown): Outcome => ({
      response: forwardFailed(error, this.#onError),
      fromService: false,
    }));
    return claim.settle(outcome);
  }

  /** Sends the frame to the chosen service version and turns its reply into a response. */
  async #forward(route: RouteMatch, frame: RequestFrame, started: number): Promise<Outcome> {
    const { method, path } = frame;
    const reply = await this.#send(serviceQueueName(route.service, route.version), frame, started);
    if (reply === null) {
      return {
        response: timedOut(route, method, path, this.#timeoutMs),
        fromService: false,
      };
    }
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
function toResponse(reply: string, route: RouteMatch, method: string): Outcome {
  const frame = parseReplyFrame(reply);
  if (!frame) return { response: malformedReply(route), fromService: false };
  try {
    return { response: frameToResponse(frame, method), fromService: true };
  } catch {
    // A status or header that no HTTP response can carry (status 1000, a newline in a value).
    return { response: malformedReply(route), fromService: false };
  }
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0)
    throw new InvalidArgumentError(name, value, 'Pass a positive number.');
  return value;
}
