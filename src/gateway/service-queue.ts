import { InvalidArgumentError } from '../errors.js';
import { Script } from '../script.js';
import { queueKey } from '../queue/message-queue.js';
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

/**
 * Key of a request's reply list. It carries the service queue's hash tag, so the service can push
 * the reply and ack the request in one single-slot script.
 */
export function replyKey(prefix: string, queueName: string, correlationId: string): string {
  return queueKey(prefix, queueName, `reply:${correlationId}`);
}

/**
 * Pushes a reply frame and acks its request in one step, if the service still holds the lease, so
 * a request is answered at most once even when its lease moved to another instance.
 * KEYS: stream, reply list, the queue's prior-deliveries hash.
 * ARGV: id, consumer, delivery count, reply JSON, reply TTL ms.
 * Returns 1, or 0 when the lease was lost (nothing written).
 */
export const replyScript = new Script(
  'gateway reply',
  `${HOLDS_LEASE_LUA}
if not holds_lease(KEYS[1], ARGV[1], ARGV[2], ARGV[3], KEYS[3]) then return 0 end
redis.call('RPUSH', KEYS[2], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[5])
redis.call('XACK', KEYS[1], '${GROUP}', ARGV[1])
redis.call('XDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
return 1
`,
);
