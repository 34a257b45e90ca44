import { libraryScript } from '../script.js';
import { SERVER_NOW_MS_LUA } from '../server-time.js';

// Event ids are "<server ms>-<sequence>": the sequence counts every event ever published to the
// stream, so a reader can tell how many events retention dropped between two ids. The last id is
// also kept in its own key (KEYS[2]), because trimming can empty the stream.

const SEQUENCE_OF = `
local function sequence_of(id) return tonumber(string.match(id, '%-(%d+)$')) end
`;

/**
 * Publishes an event and applies retention.
 * KEYS: stream, last id. ARGV: max length (0: none), max age ms (0: none), field/value pairs...
 * Returns the new event's id.
 */
export const publishScript = libraryScript(
  'events publish',
  `${SERVER_NOW_MS_LUA}${SEQUENCE_OF}
local now = server_now_ms()
local ms, sequence = now, 1
local last = redis.call('GET', KEYS[2])
if last then
  local last_ms = tonumber(string.match(last, '^(%d+)%-'))
  sequence = sequence_of(last) + 1
  -- Ids must grow even if the server clock steps back.
  if last_ms > ms then ms = last_ms end
end
local id = string.format('%d-%d', ms, sequence)
local add = {'XADD', KEYS[1]}
if ARGV[1] ~= '0' then
  add[#add + 1] = 'MAXLEN'
  add[#add + 1] = '~'
  add[#add + 1] = ARGV[1]
end
add[#add + 1] = id
for i = 3, #ARGV do add[#add + 1] = ARGV[i] end
redis.call(unpack(add))
if ARGV[2] ~= '0' then
  redis.call('XTRIM', KEYS[1], 'MINID', '~', string.format('%d', now - tonumber(ARGV[2])))
end
redis.call('SET', KEYS[2], id)
return id
`,
);

/**
 * Reads events after a cursor. KEYS: stream, last id. ARGV: cursor, count.
 * Returns {entries, last id or '0-0'}.
 */
export const readScript = libraryScript(
  'events read',
  `
local entries = redis.call('XRANGE', KEYS[1], '(' .. ARGV[1], '+', 'COUNT', ARGV[2])
return {entries, redis.call('GET', KEYS[2]) or '0-0'}
`,
);

// Returns the group's last delivered id, creating the group at the start position when missing.
const ENSURE_GROUP = `
local function ensure_group(stream, last_key, group, start)
  local groups = redis.pcall('XINFO', 'GROUPS', stream)
  if not groups.err then
    for _, info in ipairs(groups) do
      local name, delivered
      for i = 1, #info, 2 do
        if info[i] == 'name' then name = info[i + 1] end
        if info[i] == 'last-delivered-id' then delivered = info[i + 1] end
      end
      if name == group then return delivered end
    end
  end
  if start == 'latest' then start = redis.call('GET', last_key) or '0-0' else start = '0-0' end
  redis.call('XGROUP', 'CREATE', stream, group, start, 'MKSTREAM')
  return start
end
`;

/**
 * Creates a consumer group unless it exists. KEYS: stream, last id.
 * ARGV: group, 'earliest' or 'latest'. Returns the group's last delivered id.
 */
export const ensureGroupScript = libraryScript(
  'events ensure group',
  `${ENSURE_GROUP}
return ensure_group(KEYS[1], KEYS[2], ARGV[1], ARGV[2])
`,
);

/**
 * Re-reads the events still pending to a consumer (after a restart), acking those that retention
 * deleted. KEYS: stream. ARGV: group, consumer, count, read after this id.
 * Returns {entries, missed, entries read including deleted ones}.
 */
export const pendingScript = libraryScript(
  'events read pending',
  `
local read = redis.call('XREADGROUP', 'GROUP', ARGV[1], ARGV[2], 'COUNT', ARGV[3], 'STREAMS', KEYS[1], ARGV[4])
local out, missed, seen = {}, 0, {}
for _, entry in ipairs(read and read[1][2] or {}) do
  seen[#seen + 1] = entry[1]
  if entry[2] then
    out[#out + 1] = entry
  else
    redis.call('XACK', KEYS[1], ARGV[1], entry[1])
    missed = missed + 1
  end
end
return {out, missed, seen}
`,
);

/**
 * Delivers events to a group consumer: first takes over events idle longer than the claim time
 * (XAUTOCLAIM), then reads new ones. Events retention deleted before delivery count as missed.
 * KEYS: stream, last id. ARGV: group, consumer, count, claim idle ms, start for a new group.
 * Returns {entries, missed, group's last delivered id}.
 */
export const groupReadScript = libraryScript(
  'events group read',
  `${SEQUENCE_OF}${ENSURE_GROUP}
local stream, group, consumer, count = KEYS[1], ARGV[1], ARGV[2], tonumber(ARGV[3])
local delivered = ensure_group(stream, KEYS[2], group, ARGV[5])
local claimed = redis.call('XAUTOCLAIM', stream, group, consumer, ARGV[4], '0-0', 'COUNT', count)
local out, missed = claimed[2], #(claimed[3] or {})
if #out < count then
  local read = redis.call('XREADGROUP', 'GROUP', group, consumer, 'COUNT', count - #out, 'STREAMS', stream, '>')
  if read then
    local entries = read[1][2]
    if sequence_of(delivered) > 0 then
      missed = missed + sequence_of(entries[1][1]) - sequence_of(delivered) - 1
    end
    for _, entry in ipairs(entries) do out[#out + 1] = entry end
    delivered = entries[#entries][1]
  else
    local last = redis.call('GET', KEYS[2])
    if last and sequence_of(last) > sequence_of(delivered) then
      if sequence_of(delivered) > 0 then missed = missed + sequence_of(last) - sequence_of(delivered) end
      redis.call('XGROUP', 'SETID', stream, group, last)
      delivered = last
    end
  end
end
return {out, missed, delivered}
`,
);
