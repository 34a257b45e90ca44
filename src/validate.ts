import { InvalidArgumentError } from './errors.js';

/** Longest TTL or duration the primitives accept, in ms: 100 years. */
export const MAX_DURATION_MS = 100 * 365 * 24 * 60 * 60 * 1000;

/**
 * Longest delay `setTimeout` accepts (2^31 - 1 ms, about 24.8 days); a longer one fires at once.
 * Durations that end up in one timer must stay at or below it.
 */
export const MAX_TIMER_MS = 2_147_483_647;

/** Validates an integer in `[min, max]`, naming the option and the range on failure. */
export function integerIn(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(name, value, `Pass an integer from ${min} to ${max}.`);
  }
  return value;
}

/** Validates a positive duration in whole milliseconds (a TTL, a lock time). */
export function positiveMs(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new InvalidArgumentError(
      name,
      value,
      'Pass a positive whole number of milliseconds, e.g. 30000 for 30 s.',
    );
  }
  return integerIn(name, value, 1, MAX_DURATION_MS);
}

/** Validates a duration in whole milliseconds that may be zero (a stale window, a wait). */
export function nonNegativeMs(name: string, value: unknown): number {
  return integerIn(name, value, 0, MAX_DURATION_MS);
}

/** Validates a non-empty, well-formed string of at most `maxLength` UTF-16 units. */
export function boundedString(name: string, value: unknown, maxLength: number): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > maxLength) {
    throw new InvalidArgumentError(
      name,
      value,
      `Pass a non-empty string of at most ${maxLength} characters.`,
    );
  }
  checkWellFormed(name, value);
  return value;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * Rejects a string with a lone UTF-16 surrogate. Valkey stores bytes, and UTF-8 has no encoding
 * for a lone surrogate, so it would be stored as U+FFFD: the value read back would differ, and
 * two such keys would name the same entry.
 */
export function checkWellFormed(name: string, value: string): void {
  const native = (value as { isWellFormed?: () => boolean }).isWellFormed;
  const wellFormed = native ? native.call(value) : !LONE_SURROGATE.test(value);
  if (!wellFormed) {
    throw new InvalidArgumentError(
      name,
      value,
      'It contains a lone UTF-16 surrogate, which UTF-8 cannot encode; pass well-formed text.',
    );
  }
}

/**
 * Checks that an options argument is an object, so `null` or a stray number raises
 * `InvalidArgumentError` instead of a `TypeError` on its first field (or being ignored).
 */
export function checkOptions(name: string, value: unknown, fields: string): void {
  if (value === null || typeof value !== 'object') {
    throw new InvalidArgumentError(name, value, `Pass an object such as ${fields}, or nothing.`);
  }
}

/** Checks that an optional callback option is a function, so a wrong type fails at the call. */
export function optionalFunction<F>(name: string, value: F | undefined): F | undefined {
  if (value !== undefined && typeof value !== 'function') {
    throw new InvalidArgumentError(name, value, 'Pass a function or nothing.');
  }
  return value;
}
