// Scripts that act on a held lease. Each checks the lease first (holds_lease), so a holder whose
// lease was taken over, or whose message was acked, changes nothing.
import { libraryScript } from '../script.js';
import {
  DEAD_LETTER_LUA,
  GROUP,
  HOLDS_LEASE_LUA,
  MESSAGE_FIELDS_LUA,
  NOW_LUA,
} from './lua-common.js';
import { CHECK_ALL_LUA, REMOVE_ACKED_LUA, STREAM_IDS_LUA } from './lua-batch.js';

/**
 * Acks leased messages and removes their entries, for the leases still held.
 * KEYS: stream, prior. ARGV: id, consumer, delivery count, repeated per message.
 * Returns: 1 (acked) or 0 (lease lost) per message.
 */
export const ackScript = libraryScript(
  'queue ack',
  `${HOLDS_LEASE_LUA}${STREAM_IDS_LUA}${CHECK_ALL_LUA}${REMOVE_ACKED_LUA}
local results, held, _, has_prior = check_all(KEYS[1], KEYS[2])
if #held > 0 then
  redis.call('XACK', KEYS[1], '${GROUP}', unpack(held))
  if has_prior then redis.call('HDEL', KEYS[2], unpack(held)) end
  remove_acked(KEYS[1], held)
end
return results
`,
);

/**
 * Restarts the lease clocks of held leases (XCLAIM JUSTID keeps the delivery count). An entry
 * whose payload was deleted leaves the pending list and is recorded as a dead letter.
 * KEYS: stream, prior, dead. ARGV: id, consumer, delivery count, repeated per message.
 * Returns: 1 (renewed) or 0 (lease lost) per message.
 */
export const renewScript = libraryScript(
  'queue renew',
  `${HOLDS_LEASE_LUA}${MESSAGE_FIELDS_LUA}${DEAD_LETTER_LUA}${STREAM_IDS_LUA}${CHECK_ALL_LUA}
local results, held, counts = check_all(KEYS[1], KEYS[2])
local index = 0
for j = 1, #results do
  if results[j] == 1 then
    index = index + 1
    local id = held[index]
    local claimed = redis.call('XCLAIM', KEYS[1], '${GROUP}', ARGV[3 * j - 1], 0, id, 'JUSTID')
    if #claimed == 0 then
      dead_letter(KEYS[1], KEYS[3], KEYS[2], id, {}, counts[index], 'payload-missing', 'entry deleted while leased')
      results[j] = 0
    end
  end
end
return results
`,
);

/**
 * Gives a held message back: re-adds it (with its stable id, deliveries so far and the error) to
 * the stream, or to the delayed set when `delay ms` > 0; or dead-letters it when it had max
 * deliveries. With `release` = 1 the delivery does not count and max deliveries is not checked.
 * KEYS: stream, delayed, scheduled, prior, dead, meta.
 * ARGV: id, consumer, delivery count, delay ms, error, release (0 or 1), default max deliveries.
 * Returns: 0 lease lost, 1 retried, 2 dead-lettered (max deliveries), 3 payload missing.
 */
export const nackScript = libraryScript(
  'queue nack',
  `${NOW_LUA}${HOLDS_LEASE_LUA}${MESSAGE_FIELDS_LUA}${DEAD_LETTER_LUA}
local stream, delayed, scheduled, prior, dead, meta = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local id, count, err = ARGV[1], tonumber(ARGV[3]), ARGV[5]
if not holds_lease(stream, id, ARGV[2], ARGV[3], prior) then return 0 end
local entry = redis.call('XRANGE', stream, id, id)[1]
if not entry then
  dead_letter(stream, dead, prior, id, {}, count, 'payload-missing', err)
  return 3
end
local release = ARGV[6] == '1'
local max = tonumber(redis.call('HGET', meta, 'max_deliveries') or ARGV[7])
if not release and count >= max then
  dead_letter(stream, dead, prior, id, entry[2], count, 'max-deliveries', err)
  return 2
end
local deliveries = count
if release then deliveries = count - 1 end
local fields = message_fields(id, entry[2], deliveries, err)
redis.call('XACK', stream, '${GROUP}', id)
redis.call('XDEL', stream, id)
redis.call('HDEL', prior, id)
local delay = tonumber(ARGV[4])
if delay > 0 then
  redis.call('HSET', scheduled, fields[2], cmsgpack.pack(fields))
  redis.call('ZADD', delayed, now_ms() + delay, fields[2])
else
  local new_id = redis.call('XADD', stream, '*', unpack(fields))
  if deliveries > 0 then redis.call('HSET', prior, new_id, deliveries) end
end
return 1
`,
);

/**
 * Moves a held message to the dead-letter stream with reason 'rejected' and the given error.
 * KEYS: stream, prior, dead. ARGV: id, consumer, delivery count, error.
 * Returns: 0 lease lost, 1 dead-lettered, 3 payload missing (recorded as such).
 */
export const deadLetterScript = libraryScript(
  'queue dead-letter',
  `${HOLDS_LEASE_LUA}${MESSAGE_FIELDS_LUA}${DEAD_LETTER_LUA}
local stream, prior, dead = KEYS[1], KEYS[2], KEYS[3]
local id, count = ARGV[1], tonumber(ARGV[3])
if not holds_lease(stream, id, ARGV[2], ARGV[3], prior) then return 0 end
local entry = redis.call('XRANGE', stream, id, id)[1]
if not entry then
  dead_letter(stream, dead, prior, id, {}, count, 'payload-missing', ARGV[4])
  return 3
end
dead_letter(stream, dead, prior, id, entry[2], count, 'rejected', ARGV[4])
return 1
`,
);
