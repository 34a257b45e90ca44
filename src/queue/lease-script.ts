import { Script } from '../script.js';
import { DEAD_LETTER_LUA, FIELD, GROUP, MESSAGE_FIELDS_LUA, NOW_LUA } from './lua-common.js';

/** Most due delayed messages one lease call moves to the stream, so a script stays short. */
export const PROMOTE_LIMIT = 200;

/** Error code of the lease script when the caller's config differs from the stored one. */
export const CONFIG_MISMATCH = 'VTCONFIG';

// Reads the stored config, storing the caller's values (or the defaults) where none is stored.
// A caller that passed a value different from the stored one gets an error reply.
const CONFIG_LUA = `
local function load_config(meta, wanted_lease, wanted_max, default_lease, default_max)
  local stored = redis.call('HMGET', meta, 'lease_ms', 'max_deliveries', 'cursor')
  local lease_ms, max = stored[1], stored[2]
  if not lease_ms then
    lease_ms = (wanted_lease ~= '' and wanted_lease) or default_lease
    redis.call('HSET', meta, 'lease_ms', lease_ms)
  end
  if not max then
    max = (wanted_max ~= '' and wanted_max) or default_max
    redis.call('HSET', meta, 'max_deliveries', max)
  end
  if (wanted_lease ~= '' and wanted_lease ~= lease_ms) or (wanted_max ~= '' and wanted_max ~= max) then
    return nil, redis.error_reply('${CONFIG_MISMATCH} ' .. lease_ms .. ' ' .. max)
  end
  return {tonumber(lease_ms), tonumber(max), stored[3] or '0-0'}
end
`;

// Moves due delayed messages to the stream, oldest due first.
const PROMOTE_LUA = `
local function promote(stream, delayed, scheduled, prior, now)
  local due = redis.call('ZRANGEBYSCORE', delayed, '-inf', now, 'LIMIT', 0, ${PROMOTE_LIMIT})
  for _, message_id in ipairs(due) do
    local packed = redis.call('HGET', scheduled, message_id)
    redis.call('ZREM', delayed, message_id)
    if packed then
      redis.call('HDEL', scheduled, message_id)
      local fields = cmsgpack.unpack(packed)
      local id = redis.call('XADD', stream, '*', unpack(fields))
      for j = 1, #fields, 2 do
        if fields[j] == '${FIELD.prior}' then redis.call('HSET', prior, id, fields[j + 1]) end
      end
    end
  end
end
`;

/**
 * Leases messages: promotes due delayed messages, reclaims leases idle longer than the lease
 * duration (XAUTOCLAIM, which bumps their delivery count, resuming from a stored cursor so a long
 * pending list is scanned in turns), dead-letters reclaimed messages over max deliveries and
 * records pending entries whose payload was deleted, then reads new entries. Time is the
 * server's, so callers' clocks never decide expiry.
 * KEYS: stream, delayed, scheduled, prior, dead, meta.
 * ARGV: consumer, count, wanted lease ms (or ''), wanted max deliveries (or ''), default lease ms,
 *   default max deliveries.
 * Returns: {lease ms, ms until the next delayed message is due (-1: none, or messages were
 *   leased), {{id, fields, pending count}, ...}}.
 */
export const leaseScript = new Script(
  'queue lease',
  `${NOW_LUA}${MESSAGE_FIELDS_LUA}${DEAD_LETTER_LUA}${CONFIG_LUA}${PROMOTE_LUA}
local stream, delayed, scheduled, prior, dead, meta = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local consumer, count = ARGV[1], tonumber(ARGV[2])
local config, err = load_config(meta, ARGV[3], ARGV[4], ARGV[5], ARGV[6])
if not config then return err end
local lease_ms, max = config[1], config[2]
local now = now_ms()
promote(stream, delayed, scheduled, prior, now)

local out = {}
local claimed = redis.pcall('XAUTOCLAIM', stream, '${GROUP}', consumer, lease_ms, config[3], 'COUNT', count)
if claimed.err then
  if not string.find(claimed.err, 'NOGROUP', 1, true) then return redis.error_reply(claimed.err) end
  redis.call('XGROUP', 'CREATE', stream, '${GROUP}', '0', 'MKSTREAM')
  claimed = {'0-0', {}, {}}
end
if claimed[1] ~= config[3] then redis.call('HSET', meta, 'cursor', claimed[1]) end
for _, entry in ipairs(claimed[2]) do
  local id = entry[1]
  local pending = redis.call('XPENDING', stream, '${GROUP}', id, id, 1)[1][4]
  local total = pending + tonumber(redis.call('HGET', prior, id) or 0)
  if total > max then
    dead_letter(stream, dead, prior, id, entry[2], total - 1, 'max-deliveries', 'lease expired')
  else
    out[#out + 1] = {id, entry[2], pending}
  end
end
for _, id in ipairs(claimed[3] or {}) do
  dead_letter(stream, dead, prior, id, {}, 0, 'payload-missing', 'entry deleted while leased')
end

if #out < count then
  local read = redis.call('XREADGROUP', 'GROUP', '${GROUP}', consumer, 'COUNT', count - #out, 'STREAMS', stream, '>')
  if read then
    for _, entry in ipairs(read[1][2]) do out[#out + 1] = {entry[1], entry[2], 1} end
  end
end

local wake = -1
if #out == 0 then
  local first = redis.call('ZRANGE', delayed, 0, 0, 'WITHSCORES')
  if first[2] then wake = math.max(0, tonumber(first[2]) - now) end
end
return {lease_ms, wake, out}
`,
);
