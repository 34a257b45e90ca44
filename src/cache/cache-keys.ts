import { InvalidArgumentError } from '../errors.js';
import { resourceKeys, validateName } from '../keys.js';
import { boundedString } from '../validate.js';

/** Longest cache key accepted, in characters. */
export const MAX_CACHE_KEY_LENGTH = 1024;
/** Most tags one entry may carry. */
export const MAX_TAGS = 32;

/**
 * The keys of one cache namespace. All carry the hash tag `{c:<namespace>}`, so the namespace
 * version, the entries, the locks and the tag versions share one cluster slot and every script
 * stays single-slot.
 */
export class CacheKeys {
  readonly #key: (suffix: string) => string;
  /** Key of the namespace version, incremented by `clear()`. */
  readonly version: string;
  /** Prefix of tag version keys; the tag name follows. */
  readonly tagBase: string;

  constructor(prefix: string, namespace: string) {
    this.#key = resourceKeys(prefix, `c:${namespace}`);
    this.version = this.#key('ver');
    this.tagBase = this.#key('t:');
  }

  entry(key: string): string {
    return this.#key(`e:${validateCacheKey(key)}`);
  }

  lock(key: string): string {
    return this.#key(`l:${validateCacheKey(key)}`);
  }

  tag(tag: string): string {
    return this.tagBase + validateName('tag', tag);
  }

  /** Validates a tag list and returns it without repeats. */
  tags(tags: readonly string[] | undefined): string[] {
    if (tags === undefined) return [];
    if (!Array.isArray(tags) || tags.length > MAX_TAGS) {
      throw new InvalidArgumentError('tags', tags, `Pass an array of at most ${MAX_TAGS} tags.`);
    }
    for (const tag of tags) validateName('tag', tag);
    return [...new Set(tags)];
  }
}

/** Validates a cache key: any non-empty string of up to 1024 characters. */
export function validateCacheKey(key: unknown): string {
  return boundedString('cache key', key, MAX_CACHE_KEY_LENGTH);
}
