import { InvalidArgumentError } from '../errors.js';
import { resourceKeys, validateName } from '../keys.js';
import { boundedString } from '../validate.js';

/** Longest cache key accepted, in characters. */
export const MAX_CACHE_KEY_LENGTH = 1024;
/** Most tags one entry may carry. */
export const MAX_TAGS = 32;

/**
 * The keys of one cache namespace. All carry the hash tag `{c:<namespace>}`, so the namespace
 * version, the entries, their markers, the locks and the tag sets share one cluster slot and
 * every script and `MGET` stays single-slot.
 */
export class CacheKeys {
  /** Common start of every key of the namespace; scripts derive keys from it. */
  readonly base: string;
  /** Key of the namespace version, incremented by `clear()`. */
  readonly version: string;

  constructor(prefix: string, namespace: string) {
    this.base = resourceKeys(prefix, `c:${namespace}`)('');
    this.version = `${this.base}ver`;
  }

  entry(key: string): string {
    return `${this.base}e:${key}`;
  }

  /** Exists while the entry is fresh, when the entry has a stale window. */
  marker(key: string): string {
    return `${this.base}f:${key}`;
  }

  lock(key: string): string {
    return `${this.base}l:${key}`;
  }

  tagSet(tag: string): string {
    return `${this.base}t:${validateName('tag', tag)}`;
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
