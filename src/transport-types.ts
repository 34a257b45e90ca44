import type { CommandExecutor } from './executor.js';
import type { MessageQueue, QueueOptions } from './queue/types.js';
import type { RegistryOptions, ServiceRegistry } from './gateway/registry-types.js';
import type { CacheOptions, DistributedCache } from './cache/types.js';
import type { EventStream, EventStreamOptions } from './events/types.js';
import type { AtomicTokenStore, TokenStoreOptions } from './tokens/types.js';

export interface TransportOptions {
  /** Server URL: `https://`/`http://` for the REST proxy, `redis://`, `valkey://`... for TCP. */
  url?: string;
  /** REST token (HTTP only). */
  token?: string;
  /** Time each call may take, in ms. Default 10000 over HTTP, 5000 over TCP. */
  timeoutMs?: number;
  /** Prefix of every key this transport writes. Default `vt`. */
  prefix?: string;
  /** Uses this executor instead of creating one from `url`. */
  executor?: CommandExecutor;
}

/**
 * The primitives a backend provides. `createTransport` returns the Valkey implementation; a
 * plugin registered with `registerTransport` may return another one.
 */
export interface Transport {
  /** The command seam, for callers that need a command the primitives do not cover. */
  readonly executor: CommandExecutor;
  queue<T = unknown>(name: string, options?: QueueOptions): MessageQueue<T>;
  registry(options?: RegistryOptions): ServiceRegistry;
  /** The event stream `name`: publish, read after a cursor, subscribe, durable groups. */
  events<T = unknown>(name: string, options?: EventStreamOptions<T>): EventStream<T>;
  /** The token store: one-time tokens, compare-and-set, fencing counters, idempotency. */
  tokens<R = unknown>(options?: TokenStoreOptions<R>): AtomicTokenStore<R>;
  /** The cache namespace `namespace`; `clear()` empties only it. */
  cache<T = unknown>(namespace: string, options?: CacheOptions<T>): DistributedCache<T>;
  /** Closes the executor; primitives created from this transport stop working. */
  close(): Promise<void>;
}
