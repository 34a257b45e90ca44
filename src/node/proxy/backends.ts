import { ConnectionFactory, type ConnectionOptions } from '../connection-factory.js';
import { TcpExecutor } from '../tcp-executor.js';
import type { Grant } from './auth.js';
import { BusyError } from './http-error.js';

export interface BackendOptions {
  valkeyUrl: string;
  /** Time a command may take, in ms (blocking commands get their block time on top). */
  timeoutMs: number;
  /** Blocking commands running at once, over all ACL users. */
  maxBlocking: number;
  onConnectionEvent: NonNullable<ConnectionOptions['onConnectionEvent']>;
}

/**
 * The Valkey connections of the proxy: one executor per ACL user (its own shared connection, so
 * Valkey checks that user's permissions on every command), and one cap on blocking commands in
 * flight over all users, so a full pool returns 503 at once instead of queueing.
 */
export class Backends {
  readonly #factory = new ConnectionFactory();
  readonly #executors = new Map<string, TcpExecutor>();
  #closing = false;
  /** The executor of each grant, found without building its key on every request. */
  readonly #byGrant = new WeakMap<object, TcpExecutor>();
  readonly #firstAttempts: Promise<void>[] = [];
  #blockingInFlight = 0;

  constructor(
    private readonly options: BackendOptions,
    grants: readonly Grant[],
  ) {
    for (const grant of grants) this.executor(grant);
  }

  /** The executor whose connections are authenticated as the grant's ACL user. */
  executor(grant: Pick<Grant, 'user' | 'password'>): TcpExecutor {
    const known = this.#byGrant.get(grant);
    if (known) return known;
    const key = grant.user === undefined ? '' : JSON.stringify([grant.user, grant.password]);
    let executor = this.#executors.get(key);
    if (!executor) {
      let settle = () => {};
      this.#firstAttempts.push(new Promise<void>((resolve) => (settle = resolve)));
      executor = new TcpExecutor({
        url: userUrl(this.options.valkeyUrl, grant),
        timeoutMs: this.options.timeoutMs,
        factory: this.#factory,
        // Return 503 at once while Valkey is down instead of holding requests until they time out.
        offlineQueue: false,
        // Each request has a deadline of its own (see deadline.ts).
        callerDeadlines: true,
        maxBlockingConnections: this.options.maxBlocking,
        onConnectionEvent: (event, shared, message) => {
          if (shared) settle();
          // Connections that close() ends are not lost, so they are not reported.
          if (this.#closing) return;
          this.options.onConnectionEvent(event, shared, message);
        },
      });
      this.#executors.set(key, executor);
    }
    this.#byGrant.set(grant, executor);
    return executor;
  }

  /**
   * Resolves once every user's shared connection is ready or failed its first attempt (or after
   * `timeoutMs`), so requests right after start-up do not meet a connection still opening.
   */
  async firstAttempts(timeoutMs: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([Promise.all(this.#firstAttempts), late]);
    clearTimeout(timer);
  }

  /** Every executor, one per ACL user, for health checks. */
  get all(): TcpExecutor[] {
    return [...this.#executors.values()];
  }

  /**
   * Runs `work` while holding one of the blocking slots, or throws a 503 with Retry-After when all
   * are taken: waiting for a slot would hold the request while its client's timer runs.
   */
  async withBlockingSlot<T>(work: () => Promise<T>): Promise<T> {
    if (this.#blockingInFlight >= this.options.maxBlocking) {
      throw new BusyError(
        `All ${this.options.maxBlocking} connections for blocking commands are busy; retry shortly or poll without blocking.`,
      );
    }
    this.#blockingInFlight++;
    try {
      return await work();
    } finally {
      this.#blockingInFlight--;
    }
  }

  async close(): Promise<void> {
    this.#closing = true;
    await Promise.all(this.all.map((executor) => executor.close()));
    this.#executors.clear();
  }
}

/** The Valkey URL with the grant's ACL user and password in place of the URL's own. */
export function userUrl(valkeyUrl: string, grant: Pick<Grant, 'user' | 'password'>): string {
  if (grant.user === undefined) return valkeyUrl;
  const url = new URL(valkeyUrl);
  url.username = encodeURIComponent(grant.user);
  url.password = encodeURIComponent(grant.password ?? '');
  return url.toString();
}
