import { resourceKeys } from '../keys.js';

/**
 * Builds a key of queue `name`. Every key of a queue carries the hash tag `{q:<name>}`, so they
 * share one cluster slot and every queue script stays single-slot.
 */
export function queueKey(prefix: string, name: string, suffix: string): string {
  return resourceKeys(prefix, `q:${name}`)(suffix);
}

/** Suffix of the hash that maps a re-added entry id to the deliveries made before it. */
export const PRIOR_SUFFIX = 'prior';

/** The keys of one queue. */
export interface QueueKeys {
  /** Stream of ready and leased messages, with the consumer group. */
  stream: string;
  /** Sorted set of delayed message ids, scored by due time in server ms. */
  delayed: string;
  /** Hash of delayed message id to its packed entry fields. */
  scheduled: string;
  /** Hash of re-added entry id to the deliveries made before it was re-added. */
  prior: string;
  /** Dead-letter stream. */
  dead: string;
  /** Hash of the stored config, the delayed id counter and the reclaim cursor. */
  meta: string;
  /** Key of the record of one dedupe key. */
  dedupe(key: string): string;
}

export function queueKeys(prefix: string, name: string): QueueKeys {
  const key = resourceKeys(prefix, `q:${name}`);
  return {
    stream: key('stream'),
    delayed: key('delayed'),
    scheduled: key('scheduled'),
    prior: key(PRIOR_SUFFIX),
    dead: key('dead'),
    meta: key('meta'),
    dedupe: (dedupeKey) => key(`dedupe:${dedupeKey}`),
  };
}
