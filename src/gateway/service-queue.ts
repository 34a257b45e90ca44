import { InvalidArgumentError } from '../errors.js';
import { libraryScript } from '../script.js';
import { queueKey } from '../queue/message-queue.js';
import { PRIOR_SUFFIX } from '../queue/queue-keys.js';
import { GROUP, HOLDS_LEASE_LUA } from '../queue/scripts.js';

const SEGMENT = /^[A-Za-z0-9._-]{1,64}$/;

/** Validates a service or version name: 1-64 of `A-Za-z0-9._-` (no `:`, which separates them). */
export function validateSegment(kind: string, value: unknown): string {
  if (typeof value !== 'string' || !SEGMENT.test(value)) {
    throw new InvalidArgumentError(
      kind,
      value,
      'Use 1-64 characters of letters, digits and . _ - (no colon).',
    );
  }
  return value;
}

/** Queue that carries request frames to the instances of one service version. */
export function serviceQueueName(service: string, version: string): string {
  return `gw:${service}:${version}`;
}

/** Key of the stream behind a service queue, for waiting on new entries without leasing them. */
export function serviceStreamKey(prefix: string, queueName: string): string {
  return queueKey(prefix, queueName, 'stream');
}

/** Key of the hash with the deliveries a service queue's re-added requests had before. */
export function servicePriorKey(prefix: string, queueName: string): string {
  return queueKey(prefix, queueName, PRIOR_SUFFIX);
}

/**
 * Key of a request's reply list. It carries the service queue's hash tag, so the service can push
 * the reply and ack the request in one single-slot script.
 */
export function replyKey(prefix: string, queueName: string, correlationId: string): string {
  return queueKey(prefix, queueName, `reply:${correlationId}`);
}

/** Outcome codes of `replyScript`. */
export const REPLY_SENT = 1;
export const REPLY_LEASE_LOST = 0;
export const REPLY_TOO_LATE = 2;

/**
 * Acks a request and pushes its reply frame in one step, if the service still holds the lease, so
 * a request is answered at most once even when its lease moved to another instance. A reply that
 * comes after the request's deadline (server clock) is dropped: the gateway has answered 504 and
 * stopped waiting, so the reply list is never created. A reply in time gets a TTL that outlives
 * the deadline by the grace period, so a reply the gateway missed by a hair still expires.
 * KEYS: stream, reply list, the queue's prior-deliveries hash (the delivery count fences the lease).
 * ARGV: id, consumer, delivery count, reply JSON, deadline ms, grace ms.
 * Returns REPLY_SENT, REPLY_TOO_LATE (acked, nothing pushed) or REPLY_LEASE_LOST (nothing changed).
 */
export const replyScript = libraryScript(
  'gateway reply',
  `${HOLDS_LEASE_LUA}
if not holds_lease(KEYS[1], ARGV[1], ARGV[2], ARGV[3], KEYS[3]) then return ${REPLY_LEASE_LOST} end
redis.call('XACK', KEYS[1], '${GROUP}', ARGV[1])
redis.call('XDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local deadline = tonumber(ARGV[5])
if now > deadline then return ${REPLY_TOO_LATE} end
redis.call('RPUSH', KEYS[2], ARGV[4])
redis.call('PEXPIRE', KEYS[2], deadline - now + tonumber(ARGV[6]))
return ${REPLY_SENT}
`,
);
