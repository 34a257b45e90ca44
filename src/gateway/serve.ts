import { TrieRouter } from 'hono/router/trie-router';
import { bytesToBase64, utf8Bytes } from '../base64.js';
import { sleep } from '../blocking.js';
import { InvalidArgumentError } from '../errors.js';
import type { LeasedMessage } from '../queue/types.js';
import type { ValkeyTransport } from '../valkey-transport.js';
import { frameToRequest, responseToFrame, type ReplyFrame, type RequestFrame } from './frames.js';
import { validateEndpoint } from './registry.js';
import type { Endpoint, ReportedStatus } from './registry-types.js';
import { queueKey } from '../queue/message-queue.js';
import { PRIOR_SUFFIX } from '../queue/queue-keys.js';
import { replyKey, replyScript, serviceQueueName, validateSegment } from './service-queue.js';

/** Handles one routed request. `params` holds the route's path parameters. */
export type RouteHandler = (
  request: Request,
  params: Record<string, string>,
) => Response | Promise<Response>;

export interface ServeOptions {
  transport: ValkeyTransport;
  service: string;
  version: string;
  region?: string;
  /** Unique id of this instance. Default: a random UUID. */
  instanceId?: string;
  /** Handlers keyed by `"METHOD /path"`, e.g. `"GET /users/:id"`; method `ALL` matches any. */
  routes: Record<string, RouteHandler>;
  /** Requests handled at once. Default 8. */
  concurrency?: number;
  /** Interval between heartbeats, in ms. Default 5000. */
  heartbeatMs?: number;
  /** Lifetime of an unread reply in Valkey, in ms. Default 60000. */
  replyTtlMs?: number;
  /** Receives errors the loop survives (a failed heartbeat, a lost lease). Default: ignored. */
  onError?: (error: unknown) => void;
}

/** A running service instance. */
export interface ServiceInstance {
  readonly instanceId: string;
  /** Requests being handled now. */
  readonly inFlight: number;
  /**
   * Drains: reports Draining, stops taking requests, finishes those in flight, then sends GOODBYE.
   */
  stop(): Promise<void>;
}

const POLL_WAIT_MS = 1000;
const ERROR_WINDOW = 100;
const ORIGIN = 'http://service.internal';

/**
 * Starts a service instance: sends HELLO, heartbeats with its real status and load, and answers
 * the request frames that gateways put on its queue.
 *
 * @example
 * const instance = await serve({
 *   transport, service: 'users', version: '1.0.0',
 *   routes: { 'GET /users/:id': (_req, { id }) => Response.json({ id }) },
 * });
 */
export async function serve(options: ServeOptions): Promise<ServiceInstance> {
  const instance = new RunningService(options);
  await instance.start();
  return instance;
}

class RunningService implements ServiceInstance {
  readonly instanceId: string;
  inFlight = 0;
  readonly #options: ServeOptions;
  readonly #endpoints: Endpoint[];
  readonly #router = new TrieRouter<RouteHandler>();
  readonly #queueName: string;
  readonly #concurrency: number;
  readonly #outcomes: boolean[] = [];
  #status: ReportedStatus = 'Healthy';
  #clockOffsetMs = 0;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #loop: Promise<void> | undefined;
  #stopping = false;
  #slotFreed: (() => void) | undefined;
  readonly #running = new Set<Promise<void>>();

  constructor(options: ServeOptions) {
    this.#options = options;
    this.instanceId = options.instanceId ?? crypto.randomUUID();
    this.#queueName = serviceQueueName(
      validateSegment('service name', options.service),
      validateSegment('service version', options.version),
    );
    this.#concurrency = options.concurrency ?? 8;
    if (!Number.isInteger(this.#concurrency) || this.#concurrency < 1) {
      throw new InvalidArgumentError(
        'concurrency',
        options.concurrency,
        'Pass an integer of at least 1.',
      );
    }
    if (
      options.routes === null ||
      typeof options.routes !== 'object' ||
      Object.keys(options.routes).length === 0
    ) {
      throw new InvalidArgumentError(
        'routes',
        options.routes,
        'Pass handlers keyed by "METHOD /path", e.g. {"GET /hello": handler}.',
      );
    }
    this.#endpoints = Object.entries(options.routes).map(([route, handler]) => {
      const [method, path, extra] = route.trim().split(/\s+/);
      if (extra !== undefined || typeof handler !== 'function') {
        throw new InvalidArgumentError(
          'route',
          route,
          'Key each handler function by "METHOD /path".',
        );
      }
      const endpoint = validateEndpoint({ method: method ?? '', path: path ?? '' });
      this.#router.add(endpoint.method, endpoint.path, handler);
      return endpoint;
    });
  }

  async start(): Promise<void> {
    await this.#hello();
    const interval = this.#options.heartbeatMs ?? 5000;
    this.#heartbeat = setInterval(() => void this.#sendHeartbeat(), interval);
    this.#loop = this.#consume();
  }

  async stop(): Promise<void> {
    if (this.#stopping) return this.#loop;
    this.#stopping = true;
    this.#status = 'Draining';
    await this.#sendHeartbeat();
    this.#slotFreed?.();
    await this.#loop;
    await Promise.allSettled(this.#running);
    clearInterval(this.#heartbeat);
    await this.#registry()
      .goodbye(this.instanceId)
      .catch((error: unknown) => this.#report(error));
  }

  #registry() {
    return this.#options.transport.registry();
  }

  async #hello(): Promise<void> {
    const before = Date.now();
    const serverTime = await this.#registry().hello({
      instanceId: this.instanceId,
      service: this.#options.service,
      version: this.#options.version,
      region: this.#options.region,
      endpoints: this.#endpoints,
    });
    this.#clockOffsetMs = serverTime - Math.round((before + Date.now()) / 2);
  }

  async #sendHeartbeat(): Promise<void> {
    try {
      const failures = this.#outcomes.filter((ok) => !ok).length;
      const errorRate = this.#outcomes.length === 0 ? 0 : failures / this.#outcomes.length;
      const before = Date.now();
      const { known, serverTimeMs } = await this.#registry().heartbeat({
        instanceId: this.instanceId,
        status: this.#status,
        inFlight: this.inFlight,
        errorRate,
      });
      this.#clockOffsetMs = serverTimeMs - Math.round((before + Date.now()) / 2);
      // The records expired (a long pause, or Valkey lost them): announce the instance again.
      if (!known && !this.#stopping) await this.#hello();
    } catch (error) {
      this.#report(error);
    }
  }

  async #consume(): Promise<void> {
    const queue = this.#options.transport.queue<RequestFrame>(this.#queueName);
    let backoff = 50;
    while (!this.#stopping) {
      if (this.inFlight >= this.#concurrency) {
        await new Promise<void>((resolve) => (this.#slotFreed = resolve));
        continue;
      }
      let leased: LeasedMessage<RequestFrame>[];
      try {
        leased = await queue.lease({
          consumer: this.instanceId,
          count: this.#concurrency - this.inFlight,
          waitMs: POLL_WAIT_MS,
        });
        backoff = 50;
      } catch (error) {
        this.#report(error);
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 2000);
        continue;
      }
      for (const message of leased) this.#track(this.#handle(queue, message));
    }
  }

  #track(task: Promise<void>): void {
    this.inFlight++;
    this.#running.add(task);
    void task.finally(() => {
      this.inFlight--;
      this.#running.delete(task);
      this.#slotFreed?.();
    });
  }

  async #handle(
    queue: ReturnType<ValkeyTransport['queue']>,
    message: LeasedMessage<RequestFrame>,
  ): Promise<void> {
    const frame = message.body;
    try {
      // The gateway stopped waiting at the deadline, so running the handler would be wasted work.
      if (Date.now() + this.#clockOffsetMs > frame.deadline) {
        await queue.ack(message);
        return;
      }
      const reply = await this.#run(frame);
      this.#record(reply.status < 500);
      const prefix = this.#options.transport.prefix;
      const keys = [
        queueKey(prefix, this.#queueName, 'stream'),
        replyKey(prefix, this.#queueName, frame.correlationId),
        queueKey(prefix, this.#queueName, PRIOR_SUFFIX),
      ];
      const ttl = this.#options.replyTtlMs ?? 60_000;
      const args = [
        message.id,
        message.consumer,
        message.deliveryCount,
        JSON.stringify(reply),
        ttl,
      ];
      await replyScript.run(this.#options.transport.executor, keys, args);
    } catch (error) {
      this.#report(error);
    }
  }

  async #run(frame: RequestFrame): Promise<ReplyFrame> {
    const [matches] = this.#router.match(frame.method, frame.path) as [
      [RouteHandler, Record<string, string>][],
    ];
    const match = matches[0];
    if (!match)
      return jsonFrame(
        404,
        `${this.#options.service} has no route for ${frame.method} ${frame.path}.`,
      );
    try {
      return await responseToFrame(await match[0](frameToRequest(frame, ORIGIN), match[1]));
    } catch (error) {
      this.#report(error);
      return jsonFrame(
        502,
        `${this.#options.service} failed to handle ${frame.method} ${frame.path}: ${String(error)}`,
      );
    }
  }

  #record(ok: boolean): void {
    this.#outcomes.push(ok);
    if (this.#outcomes.length > ERROR_WINDOW) this.#outcomes.shift();
  }

  #report(error: unknown): void {
    this.#options.onError?.(error);
  }
}

function jsonFrame(status: number, message: string): ReplyFrame {
  const body = utf8Bytes(JSON.stringify({ error: message }));
  return { status, headers: [['content-type', 'application/json']], body: bytesToBase64(body) };
}
