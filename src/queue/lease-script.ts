import { libraryScript } from '../script.js';
import { DEAD_LETTER_LUA, FIELD, GROUP, MESSAGE_FIELDS_LUA, NOW_LUA } from './lua-common.js';

/** Most due delayed messages one lease call moves to the stream, so a script stays short. */
export const PROMOTE_LIMIT = 200;

/** Error code of the lease script when the caller's config differs from the stored one. */
export const CONFIG_MISMATCH = 'VTCONFIG';

// Reads the stored config, storing the caller's values (or the defaults) where none is stored.
// A caller that passed a value different from the stored one gets an error reply.
const CONFIG_LUA = `
local function load_config(meta, wanted_lease, wanted_max, default_lease, default_max)
  local stored = redis.call('HMGET', meta, 'lease_ms', 'max_deliveries', 'cursor', 'reclaim_at')
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
  return {tonumber(lease_ms), tonumber(max), stored[3] or '0-0', tonumber(stored[4] or 0)}
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

// Runs a group command, creating the stream and group (reading from the start) when missing.
const WITH_GROUP_LUA = `
local function with_group(stream, ...)
  local reply = redis.pcall(...)
  if type(reply) == 'table' and reply.err then
    if not string.find(reply.err, 'NOGROUP', 1, true) then error(reply.err) end
    redis.call('XGROUP', 'CREATE', stream, '${GROUP}', '0', 'MKSTREAM')
    reply = redis.call(...)
  end
  return reply
end
`;

/**
 * Leases messages. It promotes due delayed messages and reclaims leases idle longer than the
 * lease duration (XAUTOCLAIM, which bumps their delivery count). Reclaimed messages over max
 * deliveries are dead-lettered, and pending entries whose payload was deleted are recorded as dead
 * letters. Then it reads new entries.
 * A reclaim pass starts at most every min(lease / 4, 1 s) and resumes from a stored cursor until
 * it has covered the pending list. So an expired lease is reclaimed within that interval, and busy
 * consumers do not rescan their own leases on every call. Time is the server's.
 * KEYS: stream, delayed, scheduled, prior, dead, meta.
 * ARGV: consumer, count, wanted lease ms (or ''), wanted max deliveries (or ''), default lease ms,
 *   default max deliveries.
 * Returns: {lease ms, ms until the next delayed message is due (-1: none, or messages were
 *   leased), reclaimed {{id, fields, pending count}, ...}, new entries {{id, fields}, ...}}.
 */
export const leaseScript = libraryScript(
  'queue lease',
  `${NOW_LUA}${MESSAGE_FIELDS_LUA}${DEAD_LETTER_LUA}${CONFIG_LUA}${PROMOTE_LUA}${WITH_GROUP_LUA}
local stream, delayed, scheduled, prior, dead, meta = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6]
local consumer, count = ARGV[1], tonumber(ARGV[2])
local config, err = load_config(meta, ARGV[3], ARGV[4], ARGV[5], ARGV[6])
if not config then return err end
local lease_ms, max, cursor = config[1], config[2], config[3]
local now = now_ms()
promote(stream, delayed, scheduled, prior, now)

local claimed_out = {}
if cursor ~= '0-0' or now >= config[4] then
  local claimed = with_group(stream, 'XAUTOCLAIM', stream, '${GROUP}', consumer, lease_ms, cursor, 'COUNT', count)
  if claimed[1] ~= cursor then redis.call('HSET', meta, 'cursor', claimed[1]) end
  if claimed[1] == '0-0' then
    redis.call('HSET', meta, 'reclaim_at', now + math.floor(math.min(lease_ms / 4, 1000)))
  end
  for _, entry in ipairs(claimed[2]) do
    local id = entry[1]
    local pending = redis.call('XPENDING', stream, '${GROUP}', id, id, 1)[1][4]
    local total = pending + tonumber(redis.call('HGET', prior, id) or 0)
    if total > max then
      dead_letter(stream, dead, prior, id, entry[2], total - 1, 'max-deliveries', 'lease expired')
    else
      claimed_out[#claimed_out + 1] = {id, entry[2], pending}
    end
  end
  for _, id in ipairs(claimed[3] or {}) do
    dead_letter(stream, dead, prior, id, {}, 0, 'payload-missing', 'entry deleted while leased')
  end
end

local read_out = {}
if #claimed_out < count then
  local read = with_group(stream, 'XREADGROUP', 'GROUP', '${GROUP}', consumer, 'COUNT', count - #claimed_out, 'STREAMS', stream, '>')
  if read then read_out = read[1][2] end
end

local wake = -1
if #claimed_out + #read_out == 0 then
  local first = redis.call('ZRANGE', delayed, 0, 0, 'WITHSCORES')
  if first[2] then wake = math.max(0, tonumber(first[2]) - now) end
end
return {lease_ms, wake, claimed_out, read_out}
`,
);
