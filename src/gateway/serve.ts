import type { RequestFrame } from './frames.js';
import type { ReportedStatus, ServiceRegistry } from './registry-types.js';
import { RequestConsumer } from './request-consumer.js';
import { handleRequest, type RequestContext } from './request-handler.js';
import { resolveSettings, type ServeOptions, type ServiceInstance } from './serve-options.js';
import { serviceQueueName, serviceStreamKey, validateSegment } from './service-queue.js';
import { ServiceHealth } from './service-health.js';
import { ServiceRoutes, type RouteHandler } from './service-routes.js';

export type { ServeOptions, ServiceInstance } from './serve-options.js';
export type { RouteHandler } from './service-routes.js';

/**
 * Starts a service instance: sends HELLO, heartbeats with its real status and load, and handles
 * the request frames that gateways put on its queue. In Node, import `serve` from the `./node`
 * entry instead to also drain on SIGTERM.
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
  readonly #options: ServeOptions;
  readonly #settings: ReturnType<typeof resolveSettings>;
  readonly #registry: ServiceRegistry;
  readonly #health: ServiceHealth;
  readonly #consumer: RequestConsumer;
  #routes: ServiceRoutes;
  #heartbeat: ReturnType<typeof setInterval> | undefined;
  #stopped: Promise<void> | undefined;
  /** Server clock minus local clock, from the last registry reply, in ms. */
  #clockOffsetMs = 0;
  /** Server time of the last acknowledged HELLO or heartbeat, in ms. */
  #lastAckMs = 0;

  constructor(options: ServeOptions) {
    this.#options = options;
    this.instanceId = options.instanceId ?? crypto.randomUUID();
    const queueName = serviceQueueName(
      validateSegment('service name', options.service),
      validateSegment('service version', options.version),
    );
    this.#settings = resolveSettings(options);
    this.#routes = new ServiceRoutes(options.routes);
    this.#registry = options.transport.registry();
    this.#health = new ServiceHealth(this.#settings.degradedErrorRate, options.health);
    const { transport } = options;
    const queue = transport.queue<RequestFrame>(queueName, { leaseMs: this.#settings.leaseMs });
    const context: RequestContext = {
      service: options.service,
      queue,
      queueName,
      executor: transport.executor,
      prefix: transport.prefix,
      leaseMs: this.#settings.leaseMs,
      routes: () => this.#routes,
      serverNow: () => this.#serverNow(),
      record: (ok) => this.#health.record(ok),
      report: (error) => this.#report(error),
    };
    this.#consumer = new RequestConsumer({
      queue,
      executor: transport.executor,
      stream: serviceStreamKey(transport.prefix, queueName),
      consumer: this.instanceId,
      concurrency: this.#settings.concurrency,
      pollMs: this.#settings.pollMs,
      degradedDelayMs: this.#settings.degradedDelayMs,
      status: () => this.status,
      mayLease: () => this.#serverNow() - this.#lastAckMs <= this.#settings.unhealthyAfterMs,
      handle: (message) => handleRequest(context, message),
      report: (error) => this.#report(error),
    });
  }

  get inFlight(): number {
    return this.#consumer.inFlight;
  }

  get status(): ReportedStatus {
    return this.#health.status;
  }

  async start(): Promise<void> {
    await this.#hello();
    this.#heartbeat = setInterval(() => void this.#sendHeartbeat(), this.#settings.heartbeatMs);
    void this.#consumer.run();
  }

  async setRoutes(routes: Record<string, RouteHandler>): Promise<void> {
    const next = new ServiceRoutes(routes);
    this.#routes = next;
    const ack = await this.#registry.updateEndpoints(this.instanceId, next.endpoints);
    if (!ack.known) await this.#hello();
  }

  stop(): Promise<void> {
    this.#stopped ??= this.#drain();
    return this.#stopped;
  }

  async #drain(): Promise<void> {
    this.#health.drain();
    // Stop leasing at once, then report Draining so gateways stop routing here. Requests already
    // leased still finish, with heartbeats going on so the registry keeps the instance meanwhile.
    const finished = this.#consumer.stop();
    await this.#sendHeartbeat();
    await finished;
    clearInterval(this.#heartbeat);
    await this.#registry.goodbye(this.instanceId).catch((error: unknown) => this.#report(error));
  }

  async #hello(): Promise<void> {
    const before = Date.now();
    const serverTimeMs = await this.#registry.hello({
      instanceId: this.instanceId,
      service: this.#options.service,
      version: this.#options.version,
      region: this.#options.region,
      endpoints: this.#routes.endpoints,
    });
    this.#acknowledged(before, serverTimeMs);
  }

  async #sendHeartbeat(): Promise<void> {
    try {
      const before = Date.now();
      const ack = await this.#registry.heartbeat({
        instanceId: this.instanceId,
        status: this.#health.refresh((error) => this.#report(error)),
        inFlight: this.inFlight,
        errorRate: this.#health.errorRate,
      });
      if (ack.known) this.#acknowledged(before, ack.serverTimeMs);
      // The records expired (a long pause, or Valkey lost them): announce the instance again.
      else if (this.status !== 'Draining') await this.#hello();
    } catch (error) {
      this.#report(error);
    }
  }

  #acknowledged(sentAt: number, serverTimeMs: number): void {
    this.#clockOffsetMs = serverTimeMs - Math.round((sentAt + Date.now()) / 2);
    this.#lastAckMs = serverTimeMs;
  }

  #serverNow(): number {
    return Date.now() + this.#clockOffsetMs;
  }

  #report(error: unknown): void {
    this.#options.onError?.(error);
  }
}
