import { sleep } from '../blocking.js';
import { InvalidArgumentError, TimeoutError } from '../errors.js';
import { replyArray, replyNumber } from '../reply.js';
import { compareAndDeleteScript } from '../tokens/scripts.js';
import { randomToken } from '../tokens/random-token.js';
import { nonNegativeMs, optionalFunction, positiveMs } from '../validate.js';
import type { CacheWrite, ValkeyCache } from './cache.js';
import { validateCacheKey } from './cache-keys.js';
import { fillScript, readOrLockScript } from './scripts.js';
import type { GetOrSetOptions } from './types.js';

const DEFAULT_LOCK_MS = 10_000;
const POLL_MIN_MS = 10;
const POLL_MAX_MS = 200;

// States returned by the read-or-lock script.
const FRESH = 0;
const STALE_LOCKED_BY_CALLER = 1;
const STALE_LOCKED_BY_OTHER = 2;
const MISSING_LOCKED_BY_CALLER = 3;

interface Load<T> {
  cache: ValkeyCache<T>;
  key: string;
  load: (key: string) => T | Promise<T>;
  options: GetOrSetOptions;
  staleMs: number;
  lock: string;
  owner: string;
}

/**
 * Returns the cached value or loads it; see `DistributedCache.getOrSet`. A hit, fresh or stale,
 * is one round trip. A miss while another process loads polls with backoff until its value
 * appears, or until its lock expires and this caller takes over.
 */
export async function getOrSet<T>(
  cache: ValkeyCache<T>,
  key: string,
  load: (key: string) => T | Promise<T>,
  options: GetOrSetOptions,
): Promise<T> {
  validateCacheKey(key);
  if (typeof load !== 'function') {
    throw new InvalidArgumentError('load', load, 'Pass a function that returns the value.');
  }
  positiveMs('ttlMs', options.ttlMs ?? cache.ttlMs);
  optionalFunction('waitUntil', options.waitUntil);
  cache.keys.tags(options.tags);
  const staleMs = nonNegativeMs('staleMs', options.staleMs ?? 0);
  const lockMs = positiveMs('lockMs', options.lockMs ?? DEFAULT_LOCK_MS);
  const waitMs = positiveMs('waitMs', options.waitMs ?? 2 * lockMs);
  const lock = cache.keys.lock(key);
  const deadline = Date.now() + waitMs;
  let pollMs = POLL_MIN_MS;
  for (;;) {
    const owner = randomToken();
    const args = [cache.keys.base, key, owner, lockMs];
    const reply = replyArray(
      await readOrLockScript.run(cache.executor, [lock], args),
      readOrLockScript.name,
    );
    const state = replyNumber(reply[0] ?? null, readOrLockScript.name);
    const job: Load<T> = { cache, key, load, options, staleMs, lock, owner };
    if (state === FRESH || state === STALE_LOCKED_BY_OTHER) {
      return cache.decode(String(reply[1]), key);
    }
    if (state === STALE_LOCKED_BY_CALLER) {
      const stale = cache.decode(String(reply[1]), key);
      refreshInBackground(job);
      return stale;
    }
    if (state === MISSING_LOCKED_BY_CALLER) return loadAndFill(job);
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      throw new TimeoutError(waitMs, `waiting for another process to load cache key ${key}`);
    }
    await sleep(Math.min(pollMs, remaining));
    pollMs = Math.min(pollMs * 2, POLL_MAX_MS);
  }
}

/** Runs the loader and stores its value; on any failure releases the lock and rethrows. */
async function loadAndFill<T>(job: Load<T>): Promise<T> {
  const { cache } = job;
  let value: T;
  let write: CacheWrite;
  try {
    value = await job.load(job.key);
    write = cache.prepareWrite(job.key, value, job.options, job.staleMs);
  } catch (error) {
    await compareAndDeleteScript.run(cache.executor, [job.lock], [job.owner]).catch(() => {
      // The lock expires after lockMs anyway; the loader's error is what the caller needs.
    });
    throw error;
  }
  const args = [cache.keys.base, job.key, job.owner, write.text, write.ttlMs, write.staleMs];
  await fillScript.run(cache.executor, [job.lock], [...args, ...write.tags]);
  return value;
}

function refreshInBackground<T>(job: Load<T>): void {
  const refresh = loadAndFill(job).then(
    () => undefined,
    (error: unknown) => {
      try {
        job.cache.onRefreshError?.(error, job.key);
      } catch {
        // A throwing error handler must not turn into an unhandled rejection.
      }
    },
  );
  job.options.waitUntil?.(refresh);
}
