import { InvalidArgumentError } from '../errors.js';
import { validateName } from '../keys.js';
import { checkWellFormed } from '../validate.js';
import type { LeasedMessage } from './types.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/** Bounds of the numeric options; values outside them are rejected before anything is sent. */
export const LIMITS = {
  leaseMs: { min: 50, max: DAY_MS },
  maxDeliveries: { min: 1, max: 1_000_000 },
  maxBodyBytes: { min: 1, max: 512 * 1024 * 1024 },
  dedupeWindowMs: { min: 1, max: 30 * DAY_MS },
  delayMs: { min: 0, max: 365 * DAY_MS },
  waitMs: { min: 0, max: 60 * 60 * 1000 },
  count: { min: 1, max: 1000 },
  concurrency: { min: 1, max: 1000 },
  stopTimeoutMs: { min: 0, max: DAY_MS },
} as const;

/** Checks that `value` is an integer within the bounds of option `name`. */
export function checkInteger(
  name: keyof typeof LIMITS,
  value: unknown,
  label: string = name,
): number {
  const { min, max } = LIMITS[name];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(label, value, `Pass an integer from ${min} to ${max}.`);
  }
  return value;
}

/** Like `checkInteger`, returning `fallback` when `value` is undefined. */
export function optionalInteger(
  name: keyof typeof LIMITS,
  value: unknown,
  fallback: number,
): number {
  return value === undefined ? fallback : checkInteger(name, value);
}

const ENTRY_ID = /^\d{1,20}-\d{1,20}$/;

/** Checks a stream entry id such as `1700000000000-0`. */
export function checkEntryId(label: string, id: unknown): string {
  if (typeof id !== 'string' || !ENTRY_ID.test(id)) {
    throw new InvalidArgumentError(
      label,
      id,
      'Pass a stream entry id such as "1700000000000-0", as returned by this queue.',
    );
  }
  return id;
}

/** Checks the lease fields of a message before a fenced call sends them. */
export function checkLeased(message: LeasedMessage<unknown>): LeasedMessage<unknown> {
  if (message === null || typeof message !== 'object') {
    throw new InvalidArgumentError('message', message, 'Pass a message returned by lease().');
  }
  checkEntryId('message id', message.id);
  validateName('consumer', message.consumer);
  const count = message.deliveryCount;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 1) {
    throw new InvalidArgumentError(
      'deliveryCount',
      count,
      'Pass the message as lease() returned it; its delivery count is a positive integer.',
    );
  }
  return message;
}

const MAX_DEDUPE_KEY = 512;

export function checkDedupeKey(key: unknown): string {
  if (typeof key !== 'string' || key.length === 0 || key.length > MAX_DEDUPE_KEY) {
    throw new InvalidArgumentError(
      'dedupeKey',
      key,
      `Pass a non-empty string of at most ${MAX_DEDUPE_KEY} characters.`,
    );
  }
  checkWellFormed('dedupeKey', key);
  return key;
}

const MAX_ERROR_TEXT = 2000;

/** Cuts an error text to a size that keeps dead letters small. */
export function errorText(error: unknown): string {
  if (error === undefined) return '';
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.length > MAX_ERROR_TEXT ? `${text.slice(0, MAX_ERROR_TEXT)}...` : text;
}
