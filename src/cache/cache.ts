import { decodeValue, encodeValue, jsonCodec, validateCodec, type Codec } from '../codec.js';
import { InvalidArgumentError, ValkeyCommandError } from '../errors.js';
import type { CommandArg, CommandExecutor, Reply } from '../executor.js';
import { validateName } from '../keys.js';
import { replyArray } from '../reply.js';
import { integerIn, positiveMs } from '../validate.js';
import { CacheKeys } from './cache-keys.js';
import { getOrSet } from './get-or-set.js';
import { getScript, mgetScript, setScript } from './scripts.js';
import type {
  CacheEntry,
  CacheOptions,
  CacheSetOptions,
  DistributedCache,
  GetOrSetOptions,
} from './types.js';

const DEFAULT_TTL_MS = 60_000;
const DEFAULT_MAX_VALUE_BYTES = 1024 * 1024;
const MAX_BATCH = 1000;

/** The distributed cache on Valkey; see `DistributedCache`. */
export class ValkeyCache<T = unknown> implements DistributedCache<T> {
  readonly namespace: string;
  readonly executor: CommandExecutor;
  readonly keys: CacheKeys;
  readonly codec: Codec<T>;
  readonly ttlMs: number;
  readonly maxValueBytes: number;
  readonly onRefreshError: ((error: unknown, key: string) => void) | undefined;

  constructor(
    executor: CommandExecutor,
    prefix: string,
    namespace: string,
    options: CacheOptions<T> = {},
  ) {
    this.namespace = validateName('cache namespace', namespace);
    this.executor = executor;
    this.keys = new CacheKeys(prefix, namespace);
    this.codec = validateCodec(options.codec ?? (jsonCodec as Codec<T>));
    this.ttlMs = positiveMs('ttlMs', options.ttlMs ?? DEFAULT_TTL_MS);
    this.maxValueBytes = integerIn(
      'maxValueBytes',
      options.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES,
      1,
      512 * 1024 * 1024,
    );
    this.onRefreshError = options.onRefreshError;
  }

  async get(key: string): Promise<T | undefined> {
    const entry = this.keys.entry(key);
    const reply = await getScript.run(
      this.executor,
      [this.keys.version, entry],
      [this.keys.tagBase],
    );
    return reply === null ? undefined : this.decode(reply, entry);
  }

  async has(key: string): Promise<boolean> {
    const entry = this.keys.entry(key);
    const reply = await getScript.run(
      this.executor,
      [this.keys.version, entry],
      [this.keys.tagBase],
    );
    return reply !== null;
  }

  async set(key: string, value: T, options: CacheSetOptions = {}): Promise<void> {
    const write = this.writeArgs(key, value, options, 0);
    await setScript.run(this.executor, write.keys, write.args);
  }

  async delete(key: string): Promise<void> {
    await this.executor.send(['DEL', this.keys.entry(key)]);
  }

  async mget(keys: readonly string[]): Promise<(T | undefined)[]> {
    const entries = batch('keys', keys).map((key) => this.keys.entry(key));
    if (entries.length === 0) return [];
    const reply = await mgetScript.run(
      this.executor,
      [this.keys.version, ...entries],
      [this.keys.tagBase],
    );
    return replyArray(reply, mgetScript.name).map((item, i) =>
      item === null ? undefined : this.decode(item, entries[i]!),
    );
  }

  async mset(entries: readonly CacheEntry<T>[]): Promise<void> {
    const writes = batch('entries', entries).map((entry) =>
      this.writeArgs(entry?.key, entry?.value, entry ?? {}, 0),
    );
    if (writes.length === 0) return;
    const results = await setScript.runMany(this.executor, writes);
    const failed = results.find((result) => result instanceof ValkeyCommandError);
    if (failed) throw failed;
  }

  getOrSet(
    key: string,
    load: (key: string) => T | Promise<T>,
    options: GetOrSetOptions = {},
  ): Promise<T> {
    return getOrSet(this, key, load, options);
  }

  async invalidateTag(tag: string): Promise<void> {
    await this.executor.send(['INCR', this.keys.tag(tag)]);
  }

  async clear(): Promise<void> {
    await this.executor.send(['INCR', this.keys.version]);
  }

  /**
   * Validates and encodes one write: KEYS are the namespace version, the entry and the tag
   * version keys; ARGV the value, TTL, stale window and tag names.
   */
  writeArgs(
    key: string,
    value: T,
    options: CacheSetOptions,
    staleMs: number,
  ): { keys: string[]; args: CommandArg[] } {
    const entry = this.keys.entry(key);
    const ttlMs = positiveMs('ttlMs', options.ttlMs ?? this.ttlMs);
    const tags = this.keys.tags(options.tags);
    const text = encodeValue(this.codec, value, this.maxValueBytes, `value of cache key ${key}`);
    return {
      keys: [this.keys.version, entry, ...tags.map((tag) => this.keys.tag(tag))],
      args: [text, ttlMs, staleMs, ...tags],
    };
  }

  decode(reply: Reply, entry: string): T {
    return decodeValue(this.codec, String(reply), entry);
  }
}

function batch<E>(name: string, items: readonly E[]): readonly E[] {
  if (!Array.isArray(items) || items.length > MAX_BATCH) {
    throw new InvalidArgumentError(name, items, `Pass an array of at most ${MAX_BATCH} items.`);
  }
  return items;
}
