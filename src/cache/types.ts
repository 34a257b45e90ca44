import type { Codec } from '../codec.js';

/** Options of a cache handle. */
export interface CacheOptions<T = unknown> {
  /** Turns values into stored text and back. Default `jsonCodec`. */
  codec?: Codec<T>;
  /** TTL of entries written without their own `ttlMs`, in ms. Default 60000. */
  ttlMs?: number;
  /** Largest encoded value accepted, in bytes of UTF-8. Default 1 MiB. */
  maxValueBytes?: number;
  /**
   * Receives errors of background refreshes (a loader that threw while stale values were
   * served). Default: ignored; the stale value stays in place either way.
   */
  onRefreshError?: (error: unknown, key: string) => void;
}

export interface CacheSetOptions {
  /** Time the entry stays fresh, in ms. Default: the cache's `ttlMs`. */
  ttlMs?: number;
  /** Tags of the entry; `invalidateTag(tag)` drops every entry carrying the tag. */
  tags?: readonly string[];
}

/** One entry of `mset`. */
export interface CacheEntry<T> extends CacheSetOptions {
  key: string;
  value: T;
}

export interface GetOrSetOptions extends CacheSetOptions {
  /**
   * Time after `ttlMs` during which the old value is still served while one caller reloads it
   * in the background, in ms. Default 0 (an expired entry is a miss).
   */
  staleMs?: number;
  /**
   * Time one loader holds the key's lock, in ms. Other callers wait for its value (or serve the
   * stale one); if it dies, another caller loads once this time has passed. Default 10000.
   */
  lockMs?: number;
  /**
   * Longest time to wait for another process's loader before rejecting with `TimeoutError`,
   * in ms. Default: twice `lockMs`.
   */
  waitMs?: number;
  /**
   * Receives the promise of a background refresh, so a runtime that ends work with the response
   * (e.g. a Worker's `ctx.waitUntil`) keeps it running.
   */
  waitUntil?: (promise: Promise<unknown>) => void;
}

/**
 * A TTL cache shared by all processes, with one loader per key across them, stale-while-
 * revalidate, tags and O(1) clearing. Every operation is one round trip (a `getOrSet` hit too);
 * freshness runs on the server's clock.
 */
export interface DistributedCache<T = unknown> {
  readonly namespace: string;
  /** Returns the fresh value of `key`, or undefined (also in an entry's stale window). */
  get(key: string): Promise<T | undefined>;
  /** Returns whether `key` has a fresh value. */
  has(key: string): Promise<boolean>;
  set(key: string, value: T, options?: CacheSetOptions): Promise<void>;
  delete(key: string): Promise<void>;
  /** Reads many keys in one round trip; missing ones are undefined, in order. */
  mget(keys: readonly string[]): Promise<(T | undefined)[]>;
  /** Writes many entries in one round trip (one per 1 Mi characters of encoded values). */
  mset(entries: readonly CacheEntry<T>[]): Promise<void>;
  /**
   * Returns the cached value, or loads it with `load` and caches it. Across all processes one
   * loader runs per key at a time; with `staleMs`, callers get the stale value while one of them
   * refreshes it. A loader's error is never cached: it reaches the caller that ran the loader
   * (or `onRefreshError` for a background refresh) and a stale value stays in place.
   */
  getOrSet(
    key: string,
    load: (key: string) => T | Promise<T>,
    options?: GetOrSetOptions,
  ): Promise<T>;
  /**
   * Deletes every entry written with `tag`, in one script whose work grows with the number of
   * keys written with the tag since its last invalidation.
   */
  invalidateTag(tag: string): Promise<void>;
  /** Drops every entry of the namespace, in O(1). */
  clear(): Promise<void>;
}
