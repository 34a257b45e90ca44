import { Script } from '../script.js';

/** Name of the one consumer group of every queue stream. */
export const GROUP = 'workers';

// Lua fragment shared by the scripts that act on a lease: the message must still be pending to
// the same consumer with the same delivery count, so a holder whose lease was taken over (which
// bumps the count) or whose message was acked cannot change anything.
// Expects: stream = KEYS[1], id = ARGV[1], consumer = ARGV[2], count = ARGV[3].
const HOLDS_LEASE = `
local function holds_lease(stream, id, consumer, count)
  local pending = redis.pcall('XPENDING', stream, '${GROUP}', id, id, 1)
  if type(pending) ~= 'table' or pending.err or pending[1] == nil then return false end
  return pending[1][2] == consumer and tostring(pending[1][4]) == count
end
`;

/**
 * Leases messages: reclaims leases idle longer than the lease duration (XAUTOCLAIM, which bumps
 * their delivery count), then reads new entries. Idle time is the server's, so callers' clocks
 * never decide expiry.
 * KEYS: stream. ARGV: consumer, count, lease ms.
 * Returns: array of {id, fields, delivery count}.
 */
export const leaseScript = new Script(
  'queue lease',
  `
local stream = KEYS[1]
local consumer, count, lease_ms = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local out = {}
local claimed = redis.pcall('XAUTOCLAIM', stream, '${GROUP}', consumer, lease_ms, '0-0', 'COUNT', count)
if claimed.err then
  if not string.find(claimed.err, 'NOGROUP', 1, true) then return redis.error_reply(claimed.err) end
  redis.call('XGROUP', 'CREATE', stream, '${GROUP}', '0', 'MKSTREAM')
  claimed = {'0-0', {}, {}}
end
for _, entry in ipairs(claimed[2]) do
  local pending = redis.call('XPENDING', stream, '${GROUP}', entry[1], entry[1], 1)[1]
  out[#out + 1] = {entry[1], entry[2], pending[4]}
end
if #out < count then
  local read = redis.call('XREADGROUP', 'GROUP', '${GROUP}', consumer, 'COUNT', count - #out, 'STREAMS', stream, '>')
  if read then
    for _, entry in ipairs(read[1][2]) do out[#out + 1] = {entry[1], entry[2], 1} end
  end
end
return out
`,
);

/**
 * Acks a leased message and deletes its entry, if the caller still holds the lease.
 * KEYS: stream. ARGV: id, consumer, delivery count. Returns 1, or 0 when the lease was lost.
 */
export const ackScript = new Script(
  'queue ack',
  `${HOLDS_LEASE}
if not holds_lease(KEYS[1], ARGV[1], ARGV[2], ARGV[3]) then return 0 end
redis.call('XACK', KEYS[1], '${GROUP}', ARGV[1])
redis.call('XDEL', KEYS[1], ARGV[1])
return 1
`,
);

/**
 * Restarts a lease's idle clock without bumping its delivery count (XCLAIM JUSTID), if the caller
 * still holds it. KEYS: stream. ARGV: id, consumer, delivery count. Returns 1, or 0 when lost.
 */
export const renewScript = new Script(
  'queue renew',
  `${HOLDS_LEASE}
if not holds_lease(KEYS[1], ARGV[1], ARGV[2], ARGV[3]) then return 0 end
redis.call('XCLAIM', KEYS[1], '${GROUP}', ARGV[2], 0, ARGV[1], 'JUSTID')
return 1
`,
);

/** The lease check, for scripts of other modules that act on a lease (gateway replies). */
export const HOLDS_LEASE_LUA = HOLDS_LEASE;
