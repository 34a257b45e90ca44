import { createClient, RESP_TYPES } from '@redis/client';
import { ConnectionError, InvalidArgumentError } from '../errors.js';

/** A node-redis client configured to return every string reply as its exact bytes. */
export type RawClient = ReturnType<typeof createRawClient>;

export interface ConnectionOptions {
  /** Time to establish a TCP connection, in ms. Default 5000. */
  connectTimeoutMs?: number;
  /**
   * Queue commands while reconnecting (true, the default) or reject them at once with
   * `ConnectionError` (false; the proxy uses this to answer 503 without waiting).
   */
  offlineQueue?: boolean;
  /** Dedicated connections for blocking commands, per server. Default 16. */
  maxBlockingConnections?: number;
  /**
   * Told when a connection is ready, fails (each failed reconnect too) or closes; `shared` is
   * false for the dedicated connections of blocking commands. The proxy logs these. Default none.
   */
  onConnectionEvent?: (event: 'ready' | 'error' | 'end', shared: boolean, message?: string) => void;
}

const RAW_TYPES = { [RESP_TYPES.BLOB_STRING]: Buffer, [RESP_TYPES.SIMPLE_STRING]: Buffer } as const;
const MAX_RECONNECT_DELAY_MS = 2000;

function createRawClient(url: string, options: ConnectionOptions, shared = false) {
  const client = createClient({
    url: url.replace(/^valkey(s?):/, 'redis$1:'),
    // RESP2 keeps reply shapes flat (HGETALL as [k, v, ...]); RESP3 would turn them into maps.
    RESP: 2,
    disableOfflineQueue: options.offlineQueue === false,
    commandOptions: { typeMapping: RAW_TYPES },
    socket: {
      connectTimeout: options.connectTimeoutMs ?? 5000,
      reconnectStrategy: (retries: number) =>
        Math.min(50 * 2 ** Math.min(retries, 6), MAX_RECONNECT_DELAY_MS) +
        Math.floor(Math.random() * 50),
    },
  });
  // node-redis emits every failed reconnect as an 'error' event; without a listener the process
  // would crash. Callers see failures through rejected commands, which name the last one.
  client.on('error', (error: Error) => lastErrors.set(client, error.message));
  client.on('ready', () => lastErrors.delete(client));
  const report = options.onConnectionEvent;
  if (report) {
    client.on('ready', () => report('ready', shared));
    client.on('error', (error: Error) => report('error', shared, error.message));
    client.on('end', () => report('end', shared));
  }
  return client;
}

const lastErrors = new WeakMap<object, string>();

/**
 * Describes why a client cannot reach its server (the last connection error), or returns undefined
 * while it is connected.
 */
export function connectionProblem(client: RawClient): string | undefined {
  if (client.isReady) return undefined;
  return lastErrors.get(client) ?? 'not connected yet';
}

interface SharedEntry {
  client: RawClient;
  users: number;
  blocking: BlockingPool;
}

/**
 * Shares one multiplexed connection per server (URL and options) among all executors, and caps
 * the dedicated connections that blocking reads use, so a process's connection count stays at
 * 1 + `maxBlockingConnections` per server however many transports it creates.
 */
export class ConnectionFactory {
  readonly #entries = new Map<string, SharedEntry>();

  /** Takes a reference to the shared connection for `url`; pair with `release`. */
  acquire(
    url: string,
    options: ConnectionOptions = {},
  ): { key: string; client: RawClient; blocking: BlockingPool } {
    validateUrl(url);
    const key = JSON.stringify([
      url,
      options.offlineQueue !== false,
      options.maxBlockingConnections ?? 16,
    ]);
    let entry = this.#entries.get(key);
    if (!entry) {
      const client = createRawClient(url, options, true);
      client.connect().catch(() => {
        // Connection failures reach callers as rejected commands; the client keeps retrying.
      });
      entry = {
        client,
        users: 0,
        blocking: new BlockingPool(
          () => createRawClient(url, options),
          options.maxBlockingConnections ?? 16,
        ),
      };
      this.#entries.set(key, entry);
    }
    entry.users++;
    return { key, client: entry.client, blocking: entry.blocking };
  }

  /** Drops a reference; the last one closes the shared and the dedicated connections. */
  async release(key: string): Promise<void> {
    const entry = this.#entries.get(key);
    if (!entry) return;
    entry.users--;
    if (entry.users > 0) return;
    this.#entries.delete(key);
    entry.blocking.close();
    entry.client.destroy();
  }
}

/** Connections that run one blocking command at a time, created on demand up to a cap. */
export class BlockingPool {
  readonly #idle: RawClient[] = [];
  readonly #waiters: { grant: (client: RawClient) => void; fail: (error: unknown) => void }[] = [];
  #open = 0;
  #closed = false;

  constructor(
    private readonly create: () => RawClient,
    readonly max: number,
  ) {
    if (!Number.isInteger(max) || max < 1) {
      throw new InvalidArgumentError(
        'maxBlockingConnections',
        max,
        'Pass an integer of at least 1.',
      );
    }
  }

  /** Waits for a free connection, opening one when under the cap. */
  async take(signal: AbortSignal): Promise<RawClient> {
    if (this.#closed) throw new ConnectionError('The connection pool was closed.');
    const idle = this.#idle.pop();
    if (idle) return idle;
    if (this.#open < this.max) {
      this.#open++;
      const client = this.create();
      try {
        await abortable(client.connect(), signal);
        return client;
      } catch (error) {
        this.#open--;
        client.destroy();
        throw error;
      }
    }
    return new Promise((grant, fail) => {
      const waiter = { grant, fail };
      this.#waiters.push(waiter);
      signal.addEventListener(
        'abort',
        () => {
          const index = this.#waiters.indexOf(waiter);
          if (index >= 0) this.#waiters.splice(index, 1);
          fail(signal.reason);
        },
        { once: true },
      );
    });
  }

  /** Returns a connection after a command settled normally. */
  give(client: RawClient): void {
    const waiter = this.#waiters.shift();
    if (waiter) waiter.grant(client);
    else if (this.#closed) client.destroy();
    else this.#idle.push(client);
  }

  /**
   * Destroys a connection whose state is unknown (its command was aborted while the server may
   * still block on it), and lets a waiter open a fresh one.
   */
  discard(client: RawClient): void {
    client.destroy();
    this.#open--;
    const waiter = this.#waiters.shift();
    if (!waiter) return;
    this.#open++;
    const fresh = this.create();
    fresh.connect().then(
      () => waiter.grant(fresh),
      (error: unknown) => {
        this.#open--;
        fresh.destroy();
        waiter.fail(error);
      },
    );
  }

  close(): void {
    this.#closed = true;
    for (const client of this.#idle.splice(0)) client.destroy();
    for (const waiter of this.#waiters.splice(0))
      waiter.fail(new ConnectionError('The connection pool was closed.'));
  }
}

function abortable<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function validateUrl(url: string): void {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidArgumentError('Valkey URL', url, 'Pass a URL such as redis://127.0.0.1:6379.');
  }
  if (!/^(redis|rediss|valkey|valkeys):$/.test(parsed.protocol)) {
    throw new InvalidArgumentError(
      'Valkey URL',
      url,
      'Use a redis://, rediss://, valkey:// or valkeys:// URL for TCP.',
    );
  }
}

/** The factory that `createTransport` uses unless given another. */
export const defaultConnectionFactory = new ConnectionFactory();
