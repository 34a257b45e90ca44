import { decodeValue, encodeValue, jsonCodec, validateCodec, type Codec } from '../codec.js';
import { InvalidArgumentError, ValkeyCommandError } from '../errors.js';
import type { Command, CommandExecutor, Reply } from '../executor.js';
import { validateName } from '../keys.js';
import { replyArray, replyNumber } from '../reply.js';
import { checkOptions, integerIn, optionalFunction, positiveMs } from '../validate.js';
import { CacheKeys, validateCacheKey } from './cache-keys.js';
import { entryText, formatEntry } from './entry-format.js';
import { getOrSet } from './get-or-set.js';
import { invalidateTagScript, setScript } from './scripts.js';
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
/**
 * Most value text one mset request carries, in UTF-16 units; larger msets go in several requests.
 * Even with every unit escaped as `\u00XX` (6 bytes), 1 Mi units stay under the REST proxy's
 * default body limit of 10 MiB.
 */
const MAX_REQUEST_UNITS = 1024 * 1024;
/**
 * How long a namespace version read from the server is reused to write untagged entries with a
 * plain SET instead of a script, in ms.
 */
const VERSION_REUSE_MS = 1000;

/** One validated, encoded write. */
export interface CacheWrite {
  key: string;
  text: string;
  ttlMs: number;
  staleMs: number;
  tags: string[];
}

/**
 * The distributed cache on Valkey; see `DistributedCache`. Reads are one `MGET` of the namespace
 * version, the entries and their freshness markers; untagged writes one `SET`; the rest are
 * scripts.
 *
 * NOTE: an untagged `set` may write with a namespace version up to `VERSION_REUSE_MS` old. After a
 * `clear()` by another process that entry reads as a miss. Data written before a clear never
 * becomes visible again.
 */
export class ValkeyCache<T = unknown> implements DistributedCache<T> {
  readonly namespace: string;
  readonly executor: CommandExecutor;
  readonly keys: CacheKeys;
  readonly codec: Codec<T>;
  readonly ttlMs: number;
  readonly maxValueBytes: number;
  readonly onRefreshError: ((error: unknown, key: string) => void) | undefined;
  #version: string | undefined;
  #versionReadAt = 0;

  constructor(
    executor: CommandExecutor,
    prefix: string,
    namespace: string,
    options: CacheOptions<T> = {},
  ) {
    this.namespace = validateName('cache namespace', namespace);
    checkOptions('cache options', options, '{ ttlMs, codec }');
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
    this.onRefreshError = optionalFunction('onRefreshError', options.onRefreshError);
  }

  async get(key: string): Promise<T | undefined> {
    const text = await this.#readOne(key);
    return text === undefined ? undefined : this.decode(text, key);
  }

  async has(key: string): Promise<boolean> {
    return (await this.#readOne(key)) !== undefined;
  }

  async mget(keys: readonly string[]): Promise<(T | undefined)[]> {
    const valid = batch('keys', keys).map(validateCacheKey);
    if (valid.length === 0) return [];
    const found = await this.#read(valid);
    return found.map((text, i) => (text === undefined ? undefined : this.decode(text, valid[i]!)));
  }

  async set(key: string, value: T, options: CacheSetOptions = {}): Promise<void> {
    checkOptions('set options', options, '{ ttlMs, tags }');
    await this.#write([this.prepareWrite(key, value, options, 0)]);
  }

  async mset(entries: readonly CacheEntry<T>[]): Promise<void> {
    const writes = batch('entries', entries).map((entry) =>
      this.prepareWrite(entry?.key, entry?.value, entry ?? {}, 0),
    );
    for (const group of groupBySize(writes)) await this.#write(group);
  }

  async delete(key: string): Promise<void> {
    const valid = validateCacheKey(key);
    await this.executor.send(['DEL', this.keys.entry(valid), this.keys.marker(valid)]);
  }

  getOrSet(
    key: string,
    load: (key: string) => T | Promise<T>,
    options: GetOrSetOptions = {},
  ): Promise<T> {
    try {
      checkOptions('getOrSet options', options, '{ ttlMs, staleMs, lockMs }');
    } catch (error) {
      return Promise.reject(error);
    }
    return getOrSet(this, key, load, options);
  }

  async invalidateTag(tag: string): Promise<void> {
    await invalidateTagScript.run(this.executor, [this.keys.tagSet(tag)], [this.keys.base, tag]);
  }

  async clear(): Promise<void> {
    const version = await this.executor.send(['INCR', this.keys.version]);
    this.rememberVersion(String(replyNumber(version, 'INCR')));
  }

  /** Validates and encodes one write, raising before anything is sent. */
  prepareWrite(key: string, value: T, options: CacheSetOptions, staleMs: number): CacheWrite {
    validateCacheKey(key);
    const ttlMs = positiveMs('ttlMs', options.ttlMs ?? this.ttlMs);
    const tags = this.keys.tags(options.tags);
    const text = encodeValue(this.codec, value, this.maxValueBytes, `value of cache key ${key}`);
    return { key, text, ttlMs, staleMs, tags };
  }

  decode(text: string, key: string): T {
    return decodeValue(this.codec, text, this.keys.entry(key));
  }

  /** Records the namespace version the server just returned. */
  rememberVersion(version: Reply): void {
    this.#version = typeof version === 'string' ? version : '0';
    this.#versionReadAt = Date.now();
  }

  /** Reads one entry: the hot path of `get`, without the list handling of `#read`. */
  async #readOne(key: string): Promise<string | undefined> {
    const valid = validateCacheKey(key);
    const command = ['MGET', this.keys.version, this.keys.entry(valid), this.keys.marker(valid)];
    const reply = replyArray(await this.executor.send(command), 'MGET');
    const version = reply[0] ?? null;
    this.rememberVersion(version);
    return entryText(version, reply[1] ?? null, reply[2] ?? null);
  }

  /** Reads entries with one MGET of the namespace version, the entries and their markers. */
  async #read(keys: readonly string[]): Promise<(string | undefined)[]> {
    const command: string[] = ['MGET', this.keys.version];
    for (const key of keys) command.push(this.keys.entry(key), this.keys.marker(key));
    const reply = replyArray(await this.executor.send(command), 'MGET');
    const version = reply[0] ?? null;
    this.rememberVersion(version);
    return keys.map((_, i) =>
      entryText(version, reply[2 * i + 1] ?? null, reply[2 * i + 2] ?? null),
    );
  }

  /** Writes with plain SETs when the namespace version is known and no tags need sets. */
  async #write(writes: readonly CacheWrite[]): Promise<void> {
    const version = this.#version;
    const plain = version !== undefined && Date.now() - this.#versionReadAt < VERSION_REUSE_MS;
    if (plain && writes.every((write) => write.tags.length === 0 && write.staleMs === 0)) {
      const commands: Command[] = writes.map((write) => [
        'SET',
        this.keys.entry(write.key),
        formatEntry(version, false, [], write.text),
        'PX',
        write.ttlMs,
      ]);
      if (commands.length === 1) await this.executor.send(commands[0]!);
      else throwFirstError(await this.executor.pipeline(commands));
      return;
    }
    const calls = writes.map((write) => ({
      keys: [this.keys.entry(write.key)],
      args: [this.keys.base, write.key, write.text, write.ttlMs, write.staleMs, ...write.tags],
    }));
    if (calls.length === 1) {
      this.rememberVersion(await setScript.run(this.executor, calls[0]!.keys, calls[0]!.args));
      return;
    }
    const results = await setScript.runMany(this.executor, calls);
    throwFirstError(results);
    this.rememberVersion(results.at(-1) as Reply);
  }
}

function throwFirstError(results: readonly unknown[]): void {
  const failed = results.find((result) => result instanceof ValkeyCommandError);
  if (failed) throw failed;
}

/**
 * Splits writes into runs of at most MAX_REQUEST_UNITS of value text (one write at least), so
 * that an mset of large values stays within a REST server's request body limit.
 */
function groupBySize(writes: readonly CacheWrite[]): CacheWrite[][] {
  const groups: CacheWrite[][] = [];
  let current: CacheWrite[] = [];
  let units = 0;
  for (const write of writes) {
    if (current.length > 0 && units + write.text.length > MAX_REQUEST_UNITS) {
      groups.push(current);
      current = [];
      units = 0;
    }
    current.push(write);
    units += write.text.length;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

function batch<E>(name: string, items: readonly E[]): readonly E[] {
  if (!Array.isArray(items) || items.length > MAX_BATCH) {
    throw new InvalidArgumentError(name, items, `Pass an array of at most ${MAX_BATCH} items.`);
  }
  return items;
}
