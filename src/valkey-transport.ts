import { ValkeyCache } from './cache/cache.js';
import type { CacheOptions, DistributedCache } from './cache/types.js';
import { ValkeyEventStream } from './events/event-stream.js';
import type { EventStream, EventStreamOptions } from './events/types.js';
import type { CommandExecutor } from './executor.js';
import { ValkeyServiceRegistry } from './gateway/registry.js';
import type { RegistryOptions, ServiceRegistry } from './gateway/registry-types.js';
import { validatePrefix } from './keys.js';
import { ValkeyMessageQueue } from './queue/message-queue.js';
import type { MessageQueue, QueueOptions } from './queue/types.js';
import { ValkeyTokenStore } from './tokens/token-store.js';
import type { AtomicTokenStore, TokenStoreOptions } from './tokens/types.js';
import type { Transport } from './transport-types.js';

/** The primitives on Valkey, over whichever executor (TCP or HTTP) it is given. */
export class ValkeyTransport implements Transport {
  readonly prefix: string;

  constructor(
    readonly executor: CommandExecutor,
    prefix = 'vt',
  ) {
    this.prefix = validatePrefix(prefix);
  }

  queue<T = unknown>(name: string, options?: QueueOptions): MessageQueue<T> {
    return new ValkeyMessageQueue<T>(this.executor, this.prefix, name, options);
  }

  registry(options?: RegistryOptions): ServiceRegistry {
    return new ValkeyServiceRegistry(this.executor, this.prefix, options);
  }

  events<T = unknown>(name: string, options?: EventStreamOptions<T>): EventStream<T> {
    return new ValkeyEventStream<T>(this.executor, this.prefix, name, options);
  }

  tokens<R = unknown>(options?: TokenStoreOptions<R>): AtomicTokenStore<R> {
    return new ValkeyTokenStore<R>(this.executor, this.prefix, options);
  }

  cache<T = unknown>(namespace: string, options?: CacheOptions<T>): DistributedCache<T> {
    return new ValkeyCache<T>(this.executor, this.prefix, namespace, options);
  }

  close(): Promise<void> {
    return this.executor.close();
  }
}
