// Scripts that enqueue messages and manage a queue as a whole (stats, dead letters).
import { libraryScript } from '../script.js';
import { FIELD, GROUP, NOW_LUA } from './lua-common.js';

/**
 * Appends messages. A message with a dedupe key whose record exists returns the recorded id and
 * adds nothing; otherwise the record is set to the new id for the window. A delayed message gets
 * an id `d-<n>` and waits in the delayed set until a lease promotes it.
 * KEYS: stream, delayed, scheduled, meta, then the dedupe record keys.
 * ARGV per message: delay ms, dedupe key index in KEYS (0: none), window ms, field count, fields.
 * Returns: {id, 1 if duplicate else 0} per message.
 */
export const enqueueScript = libraryScript(
  'queue enqueue',
  `${NOW_LUA}
local stream, delayed, scheduled, meta = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local out, now, j = {}, nil, 1
while j <= #ARGV do
  local delay, dedupe, window, size = tonumber(ARGV[j]), tonumber(ARGV[j + 1]), ARGV[j + 2], tonumber(ARGV[j + 3])
  local first, last = j + 4, j + 3 + size
  j = last + 1
  local existing = false
  if dedupe > 0 then existing = redis.call('GET', KEYS[dedupe]) end
  if existing then
    out[#out + 1] = {existing, 1}
  else
    local id
    if delay > 0 then
      now = now or now_ms()
      id = 'd-' .. redis.call('HINCRBY', meta, 'seq', 1)
      local fields = {'${FIELD.messageId}', id, unpack(ARGV, first, last)}
      redis.call('HSET', scheduled, id, cmsgpack.pack(fields))
      redis.call('ZADD', delayed, now + delay, id)
    else
      id = redis.call('XADD', stream, '*', unpack(ARGV, first, last))
    end
    if dedupe > 0 then redis.call('SET', KEYS[dedupe], id, 'PX', window) end
    out[#out + 1] = {id, 0}
  end
end
return out
`,
);

/**
 * Counts a queue's messages.
 * KEYS: stream, delayed, dead.
 * Returns: {ready, leased, delayed, dead-lettered, age of the oldest ready message in ms or -1}.
 */
export const statsScript = libraryScript(
  'queue stats',
  `${NOW_LUA}
local stream = KEYS[1]
local ready, leased, oldest = 0, 0, -1
if redis.call('EXISTS', stream) == 1 then
  local length = redis.call('XLEN', stream)
  local last, lag = '0-0', false
  ready = length
  for _, group in ipairs(redis.call('XINFO', 'GROUPS', stream)) do
    local info = {}
    for j = 1, #group, 2 do info[group[j]] = group[j + 1] end
    if info['name'] == '${GROUP}' then
      leased, last, lag = info['pending'], info['last-delivered-id'], info['lag']
      ready = math.max(0, length - leased)
      if lag then ready = lag end
    end
  end
  if ready > 0 then
    local first = redis.call('XRANGE', stream, '(' .. last, '+', 'COUNT', 1)[1]
    if first then
      local ms = tonumber(string.match(first[1], '^(%d+)'))
      oldest = math.max(0, now_ms() - ms)
    end
  end
end
return {ready, leased, redis.call('ZCARD', KEYS[2]), redis.call('XLEN', KEYS[3]), oldest}
`,
);

/**
 * Re-adds dead letters to the stream as new messages (stable id and headers kept, deliveries from
 * 1 again) and deletes them from the dead-letter stream. Entries without a body are skipped.
 * KEYS: dead, stream. ARGV: 'ids' then entry ids, or 'oldest' then a count.
 * Returns: number replayed.
 */
export const replayScript = libraryScript(
  'queue replay dead letters',
  `
local dead, stream = KEYS[1], KEYS[2]
local function replay(entry)
  local fields, has_body = {}, false
  for j = 1, #entry[2], 2 do
    local k = entry[2][j]
    if k == '${FIELD.body}' then has_body = true end
    if k ~= '${FIELD.reason}' and k ~= '${FIELD.deliveries}' and k ~= '${FIELD.error}' then
      fields[#fields + 1] = k
      fields[#fields + 1] = entry[2][j + 1]
    end
  end
  if not has_body then return 0 end
  redis.call('XADD', stream, '*', unpack(fields))
  redis.call('XDEL', dead, entry[1])
  return 1
end
local replayed = 0
if ARGV[1] == 'ids' then
  for j = 2, #ARGV do
    local entry = redis.call('XRANGE', dead, ARGV[j], ARGV[j])[1]
    if entry then replayed = replayed + replay(entry) end
  end
  return replayed
end
local wanted, start = tonumber(ARGV[2]), '-'
-- Bodiless entries are skipped, so scan on past them, up to ten times the count.
for _ = 1, 10 do
  local entries = redis.call('XRANGE', dead, start, '+', 'COUNT', wanted - replayed)
  if #entries == 0 then break end
  for _, entry in ipairs(entries) do replayed = replayed + replay(entry) end
  if replayed >= wanted then break end
  start = '(' .. entries[#entries][1]
end
return replayed
`,
);

/**
 * Deletes the whole dead-letter stream. KEYS: dead. Returns: number of entries deleted.
 */
export const purgeAllScript = libraryScript(
  'queue purge dead letters',
  `
local count = redis.call('XLEN', KEYS[1])
redis.call('DEL', KEYS[1])
return count
`,
);
