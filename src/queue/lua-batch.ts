// Lua fragments for scripts that act on many leases in one call (acks, renewals).
import { GROUP } from './lua-common.js';

/**
 * Stream id helpers: `id_less(a, b)` orders ids and `id_after(id)` is the next possible id. Each
 * id is parsed once per script call, because a batch compares the same ids many times.
 */
export const STREAM_IDS_LUA = `
local parsed_ids = {}
local function parse_id(id)
  local parsed = parsed_ids[id]
  if not parsed then
    local ms, seq = string.match(id, '^(%d+)-(%d+)$')
    parsed = {tonumber(ms), tonumber(seq)}
    parsed_ids[id] = parsed
  end
  return parsed
end

local function id_less(a, b)
  local x, y = parse_id(a), parse_id(b)
  return x[1] < y[1] or (x[1] == y[1] and x[2] < y[2])
end

local function id_after(id)
  local parsed = parse_id(id)
  return string.format('%.0f-%.0f', parsed[1], parsed[2] + 1)
end
`;

/**
 * `check_all(stream, prior)` checks every (id, consumer, count) triple of ARGV like holds_lease,
 * but reads the pending entries with one XPENDING per consumer over the range of its ids. Ids a
 * truncated reply left out are checked one by one. An id repeated in one call counts once, so
 * acking a message twice in one batch cannot succeed twice.
 * Returns: 1 or 0 per triple, the held ids, their delivery counts, and `prior` when it exists.
 * Needs HOLDS_LEASE_LUA and STREAM_IDS_LUA.
 */
export const CHECK_ALL_LUA = `
local function pending_rows(stream)
  local ranges = {}
  for j = 1, #ARGV, 3 do
    local id, consumer = ARGV[j], ARGV[j + 1]
    local range = ranges[consumer]
    if not range then
      ranges[consumer] = {first = id, last = id, n = 1}
    else
      range.n = range.n + 1
      if id_less(id, range.first) then range.first = id end
      if id_less(range.last, id) then range.last = id end
    end
  end
  local rows, complete = {}, {}
  for consumer, range in pairs(ranges) do
    local limit = range.n + 100
    local reply = redis.pcall('XPENDING', stream, '${GROUP}', range.first, range.last, limit, consumer)
    complete[consumer] = true
    if type(reply) == 'table' and not reply.err then
      for _, row in ipairs(reply) do rows[row[1]] = row end
      complete[consumer] = #reply < limit
    end
  end
  return rows, complete
end

local function check_all(stream, prior)
  local has_prior = nil
  if redis.call('EXISTS', prior) == 1 then has_prior = prior end
  local rows, complete = pending_rows(stream)
  local results, held, counts, seen = {}, {}, {}, {}
  for j = 1, #ARGV, 3 do
    local id, consumer, count = ARGV[j], ARGV[j + 1], ARGV[j + 2]
    local ok = false
    if not seen[id] then
      local row = rows[id]
      if row then
        local base = 0
        if has_prior then base = tonumber(redis.call('HGET', prior, id) or 0) end
        ok = row[2] == consumer and row[4] + base == tonumber(count)
      elseif not complete[consumer] then
        ok = holds_lease(stream, id, consumer, count, has_prior)
      end
    end
    seen[id] = true
    if ok then
      held[#held + 1] = id
      counts[#held] = tonumber(count)
      results[#results + 1] = 1
    else
      results[#results + 1] = 0
    end
  end
  return results, held, counts, has_prior
end
`;

/**
 * `remove_acked(stream, ids)` deletes acked entries: it trims the stream head up to the oldest
 * pending entry in one pass (XTRIM MINID), and XDELs the ids behind a pending entry. Every entry
 * older than the newest acked one was delivered, because XREADGROUP delivers in id order, so
 * the trim removes only acked entries and never a pending or unread one.
 */
export const REMOVE_ACKED_LUA = `
local function remove_acked(stream, ids)
  local newest = ids[1]
  for j = 2, #ids do
    if id_less(newest, ids[j]) then newest = ids[j] end
  end
  local limit = id_after(newest)
  local summary = redis.call('XPENDING', stream, '${GROUP}')
  if summary[1] > 0 and id_less(summary[2], limit) then limit = summary[2] end
  redis.call('XTRIM', stream, 'MINID', limit)
  local rest = {}
  for j = 1, #ids do
    if not id_less(ids[j], limit) then rest[#rest + 1] = ids[j] end
  end
  if #rest > 0 then redis.call('XDEL', stream, unpack(rest)) end
end
`;
