import { encodeValue, jsonCodec, textCodec, validateCodec, type Codec } from '../codec.js';
import { InvalidArgumentError } from '../errors.js';
import type { CommandExecutor } from '../executor.js';
import { resourceKeys, validateName } from '../keys.js';
import { replyArray, replyNumber } from '../reply.js';
import { checkOptions, integerIn, positiveMs } from '../validate.js';
import { IdempotencyRecords } from './idempotency.js';
import { randomToken, validateToken } from './random-token.js';
import {
  compareAndDeleteScript,
  compareAndSetScript,
  extendScript,
  getWithTtlScript,
} from './scripts.js';
import type {
  AtomicTokenStore,
  BeginOptions,
  BeginResult,
  CompareAndSetOptions,
  IssueOptions,
  TokenEntry,
  TokenStoreOptions,
} from './types.js';

const DEFAULT_MAX_VALUE_BYTES = 1024 * 1024;

/**
 * Builds the key of token `key`. Each token key is its own resource with the hash tag
 * `{tok:<key>}`, so different tokens spread over cluster slots.
 */
export function tokenKey(prefix: string, key: string): string {
  return resourceKeys(prefix, `tok:${key}`)('v');
}

/** The token store on Valkey: plain commands where one suffices, Lua scripts elsewhere. */
export class ValkeyTokenStore<R = unknown> implements AtomicTokenStore<R> {
  readonly #executor: CommandExecutor;
  readonly #prefix: string;
  readonly #maxValueBytes: number;
  readonly #records: IdempotencyRecords<R>;

  constructor(executor: CommandExecutor, prefix: string, options: TokenStoreOptions<R> = {}) {
    checkOptions('token store options', options, '{ maxValueBytes }');
    this.#executor = executor;
    this.#prefix = prefix;
    this.#maxValueBytes = integerIn(
      'maxValueBytes',
      options.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES,
      1,
      512 * 1024 * 1024,
    );
    const codec: Codec<R> = validateCodec(options.resultCodec ?? (jsonCodec as Codec<R>));
    this.#records = new IdempotencyRecords(executor, prefix, codec, this.#maxValueBytes);
  }

  async issue(key: string, options: IssueOptions): Promise<string | null> {
    const target = this.#key(key);
    checkOptions('issue options', options, '{ ttlMs: 30000 }');
    const ttlMs = positiveMs('ttlMs', options.ttlMs);
    const token = randomToken();
    const reply = await this.#executor.send(['SET', target, token, 'NX', 'PX', ttlMs]);
    return reply === null ? null : token;
  }

  async consume(key: string, token: string): Promise<boolean> {
    const target = this.#key(key);
    const expected = validateToken(token);
    const reply = await compareAndDeleteScript.run(this.#executor, [target], [expected]);
    return replyNumber(reply, compareAndDeleteScript.name) === 1;
  }

  async compareAndSet(
    key: string,
    expected: string | null,
    next: string,
    options: CompareAndSetOptions = {},
  ): Promise<boolean> {
    const target = this.#key(key);
    checkOptions('compareAndSet options', options, '{ ttlMs }');
    // The expected value passes the same check as `next`, so every value this method can store
    // (the empty string, or text longer than a token) can later be compared against.
    const current =
      expected === null
        ? ''
        : encodeValue(textCodec, expected, this.#maxValueBytes, 'expected value');
    const value = this.#value(next);
    const ttlMs = options.ttlMs === undefined ? '' : positiveMs('ttlMs', options.ttlMs);
    if (expected === null && ttlMs === '') {
      throw new InvalidArgumentError(
        'ttlMs',
        undefined,
        'Pass ttlMs when expected is null: the key is created and would otherwise never expire.',
      );
    }
    const mode = expected === null ? 'absent' : 'value';
    const args = [mode, current, value, ttlMs];
    const reply = await compareAndSetScript.run(this.#executor, [target], args);
    return replyNumber(reply, compareAndSetScript.name) === 1;
  }

  async extend(key: string, token: string, ttlMs: number): Promise<boolean> {
    const target = this.#key(key);
    const expected = validateToken(token);
    const ms = positiveMs('ttlMs', ttlMs);
    const reply = await extendScript.run(this.#executor, [target], [expected, ms]);
    return replyNumber(reply, extendScript.name) === 1;
  }

  async revoke(key: string): Promise<boolean> {
    const reply = await this.#executor.send(['DEL', this.#key(key)]);
    return replyNumber(reply, 'DEL') === 1;
  }

  async get(key: string): Promise<TokenEntry | null> {
    const reply = await getWithTtlScript.run(this.#executor, [this.#key(key)], []);
    if (reply === null) return null;
    const [value, pttl] = replyArray(reply, getWithTtlScript.name);
    const ttl = replyNumber(pttl ?? null, getWithTtlScript.name);
    return { value: String(value), ttlMs: ttl < 0 ? null : ttl };
  }

  async nextFence(name: string): Promise<number> {
    const counter = resourceKeys(this.#prefix, `fence:${validateName('fence', name)}`)('n');
    return replyNumber(await this.#executor.send(['INCR', counter]), 'INCR');
  }

  begin(key: string, options: BeginOptions): Promise<BeginResult<R>> {
    return this.#records.begin(key, options);
  }

  complete(key: string, token: string, result: R): Promise<boolean> {
    return this.#records.complete(key, token, result);
  }

  abandon(key: string, token: string): Promise<boolean> {
    return this.#records.abandon(key, token);
  }

  #key(key: string): string {
    return tokenKey(this.#prefix, validateName('token key', key));
  }

  #value(next: string): string {
    return encodeValue(textCodec, next, this.#maxValueBytes, 'next value');
  }
}
