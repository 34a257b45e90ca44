import { InvalidArgumentError } from './errors.js';

const NAME = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Validates a resource name (queue, stream, service...): 1-128 characters of `A-Za-z0-9._:-`.
 * Braces are excluded because they would change the key's hash tag and so its cluster slot.
 */
export function validateName(kind: string, name: unknown): string {
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw new InvalidArgumentError(
      `${kind} name`,
      name,
      'Use 1-128 characters of letters, digits and . _ : - (no spaces or braces).',
    );
  }
  return name;
}

/** Validates the key prefix shared by every resource of a transport. */
export function validatePrefix(prefix: unknown): string {
  return validateName('key prefix', prefix);
}

/**
 * Builds the keys of one resource. Every key carries the hash tag `{<tag>}`, so all keys of a
 * resource fall in one cluster slot and its scripts and transactions stay single-slot.
 */
export function resourceKeys(prefix: string, tag: string): (suffix: string) => string {
  const base = `${prefix}:{${tag}}:`;
  return (suffix) => base + suffix;
}
