import type { Codec } from '../codec.js';

/** Options of a token store handle. */
export interface TokenStoreOptions<R = unknown> {
  /** Codec of the results stored by idempotency records (`complete`). Default `jsonCodec`. */
  resultCodec?: Codec<R>;
  /**
   * Largest encoded value accepted by `compareAndSet` and `complete`, in bytes of UTF-8.
   * Default 1 MiB.
   */
  maxValueBytes?: number;
}

export interface IssueOptions {
  /** Lifetime of the token, in ms, on the server's clock. */
  ttlMs: number;
}

export interface CompareAndSetOptions {
  /**
   * New lifetime of the key, in ms. Without it the key keeps its current TTL; it is required
   * when `expected` is null (creating the key), so that no key lives forever by accident.
   */
  ttlMs?: number;
}

/** The value held at a key and its remaining lifetime. */
export interface TokenEntry {
  value: string;
  /** Remaining lifetime in ms on the server's clock, or null when the key has no expiry. */
  ttlMs: number | null;
}

export interface BeginOptions {
  /**
   * Identifies the request behind the key (e.g. a hash of method, path and body). A later
   * `begin` with the same key but another fingerprint gets `mismatch`.
   */
  fingerprint: string;
  /** How long a completed record (and its result) is kept, in ms. */
  ttlMs: number;
  /**
   * How long the holder may work before the record is released, in ms. A holder that dies
   * without `complete` or `abandon` blocks the key for at most this long.
   */
  lockMs: number;
}

/** `begin` gave the record to the caller: do the work, then `complete` or `abandon`. */
export interface BeginAcquired {
  status: 'acquired';
  /** Proves ownership of the record to `complete` and `abandon`. */
  token: string;
}

/** Another caller has the record locked. */
export interface BeginInProgress {
  status: 'in-progress';
  /** Time until the holder's lock runs out, in ms: the longest the record can stay held. */
  retryAfterMs: number;
}

/** The work was done before. */
export interface BeginCompleted<R> {
  status: 'completed';
  /** What `complete` stored. */
  result: R;
}

/** The key was used with another fingerprint: a different request reused the key. */
export interface BeginMismatch {
  status: 'mismatch';
}

/** Outcome of `begin`. */
export type BeginResult<R> = BeginAcquired | BeginInProgress | BeginCompleted<R> | BeginMismatch;

/**
 * One-time tokens, compare-and-set, fencing counters and idempotency records. Every operation is
 * one atomic round trip and every TTL runs on the server's clock.
 */
export interface AtomicTokenStore<R = unknown> {
  /** Stores a new random token at `key` unless the key exists. Returns the token, or null. */
  issue(key: string, options: IssueOptions): Promise<string | null>;
  /** Deletes the key if its value is `token` (compare-and-delete). Returns whether it did. */
  consume(key: string, token: string): Promise<boolean>;
  /**
   * Sets `key` to `next` if its value is `expected` (null: if it does not exist). Returns whether it
   * did.
   */
  compareAndSet(
    key: string,
    expected: string | null,
    next: string,
    options?: CompareAndSetOptions,
  ): Promise<boolean>;
  /** Sets a new TTL on `key` if it holds `token`. Returns whether it did. */
  extend(key: string, token: string, ttlMs: number): Promise<boolean>;
  /** Deletes `key` whatever it holds. Returns whether it existed. */
  revoke(key: string): Promise<boolean>;
  /** Reads the value at `key` and its remaining TTL, or null when the key does not exist. */
  get(key: string): Promise<TokenEntry | null>;
  /**
   * Increments the counter `name` and returns it: each call gets a larger number than every call
   * before it, across all processes (a fencing token).
   */
  nextFence(name: string): Promise<number>;
  /** Starts (or looks up) the idempotency record of `key`. */
  begin(key: string, options: BeginOptions): Promise<BeginResult<R>>;
  /**
   * Stores the result of the work and keeps the record for the `ttlMs` given to `begin`. Returns
   * false, storing nothing, when `token` no longer holds the record (its lock time passed and
   * another caller acquired it, or it was abandoned).
   */
  complete(key: string, token: string, result: R): Promise<boolean>;
  /** Releases a record held by `token` without a result, so the next `begin` acquires it. */
  abandon(key: string, token: string): Promise<boolean>;
}
