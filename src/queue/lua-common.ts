// Lua fragments shared by the queue scripts. Each script pastes the ones it needs, so every
// script stays one self-contained EVALSHA.

/** Name of the one consumer group of every queue stream. */
export const GROUP = 'workers';

/**
 * Field names of a stream entry. A message has a body, its encoding and optional headers; a
 * re-added one also has its stable id, the deliveries before it and the last error; a dead letter
 * also has its reason and delivery count.
 */
export const FIELD = {
  body: 'b',
  encoding: 'e',
  headers: 'h',
  messageId: 'i',
  prior: 'n',
  error: 'x',
  reason: 'r',
  deliveries: 'c',
} as const;

/** Server time in ms, from TIME (callers' clocks never decide expiry or due times). */
export const NOW_LUA = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
`;

/**
 * `holds_lease(stream, id, consumer, count, prior)`: whether entry `id` is still pending to
 * `consumer` with delivery count `count`. A takeover bumps the count and an ack removes the entry,
 * so a stale holder fails this check. The count is the total: the pending entry's own count plus
 * the deliveries made before the entry was re-added, read from the hash `prior` when given.
 */
export const HOLDS_LEASE_LUA = `
local function holds_lease(stream, id, consumer, count, prior)
  local pending = redis.pcall('XPENDING', stream, '${GROUP}', id, id, 1)
  if type(pending) ~= 'table' or pending.err or pending[1] == nil then return false end
  if pending[1][2] ~= consumer then return false end
  local base = 0
  if prior then base = tonumber(redis.call('HGET', prior, id) or 0) end
  return pending[1][4] + base == tonumber(count)
end
`;

/**
 * `message_fields(id, fields, deliveries, err)`: the fields to re-add a message with: its stable
 * id, the deliveries so far and the error (each only when set), then the original fields.
 * `strip_fields(fields)` returns the stable id and the original fields without those three.
 */
export const MESSAGE_FIELDS_LUA = `
local function strip_fields(id, fields)
  local kept = {}
  for j = 1, #fields, 2 do
    local k = fields[j]
    if k == '${FIELD.messageId}' then id = fields[j + 1]
    elseif k ~= '${FIELD.prior}' and k ~= '${FIELD.error}' then
      kept[#kept + 1] = k
      kept[#kept + 1] = fields[j + 1]
    end
  end
  return id, kept
end

local function message_fields(id, fields, deliveries, err)
  local message_id, kept = strip_fields(id, fields)
  local out = {'${FIELD.messageId}', message_id}
  if deliveries > 0 then out[#out + 1] = '${FIELD.prior}'; out[#out + 1] = deliveries end
  if err ~= '' then out[#out + 1] = '${FIELD.error}'; out[#out + 1] = err end
  for j = 1, #kept do out[#out + 1] = kept[j] end
  return out
end
`;

/**
 * `dead_letter(stream, dead, prior, id, fields, deliveries, reason, err)`: removes a pending entry
 * and appends it to the dead-letter stream with its reason, delivery count and last error.
 * `fields` may be empty when the payload was deleted. Needs MESSAGE_FIELDS_LUA.
 */
export const DEAD_LETTER_LUA = `
local function dead_letter(stream, dead, prior, id, fields, deliveries, reason, err)
  redis.call('XACK', stream, '${GROUP}', id)
  redis.call('XDEL', stream, id)
  redis.call('HDEL', prior, id)
  local message_id, kept = strip_fields(id, fields)
  return redis.call('XADD', dead, '*', '${FIELD.messageId}', message_id, '${FIELD.reason}', reason,
    '${FIELD.deliveries}', deliveries, '${FIELD.error}', err, unpack(kept))
end
`;
