import { Script } from '../script.js';
import { SERVER_NOW_MS_LUA } from '../server-time.js';

// A cache entry is one hash: v = encoded value, n = namespace version when written,
// f = server ms until which it is fresh ('' when it has no stale window), t = "tag version"
// pairs separated by spaces. `clear()` increments the namespace version key and
// `invalidateTag()` a tag's version key, so entries written before read as misses.
//
// Tag version keys are derived inside the scripts (tag key base + tag name) rather than passed as
// KEYS. They carry the same hash tag as the entry, so in a cluster they live in the slot the
// script runs on.

const READ_ENTRY = `
local namespace_version
local function current_namespace(namespace_key)
  if not namespace_version then namespace_version = redis.call('GET', namespace_key) or '0' end
  return namespace_version
end

-- Returns 'fresh' or 'stale' and the value, or nil when the entry is missing or invalidated.
local function read_entry(namespace_key, entry_key, tag_base)
  local entry = redis.call('HMGET', entry_key, 'v', 'n', 'f', 't')
  if not entry[1] then return nil end
  if entry[2] ~= current_namespace(namespace_key) then return nil end
  if entry[4] and entry[4] ~= '' then
    for name, version in string.gmatch(entry[4], '(%S+) (%S+)') do
      if (redis.call('GET', tag_base .. name) or '0') ~= version then return nil end
    end
  end
  if entry[3] and entry[3] ~= '' and server_now_ms() >= tonumber(entry[3]) then
    return 'stale', entry[1]
  end
  return 'fresh', entry[1]
end
`;

const WRITE_ENTRY = `
-- Writes KEYS[entry_index] with the value, TTL and stale window at ARGV[arg_index...], and the
-- tags named from ARGV[arg_index + 3] on, whose version keys are KEYS[entry_index + 1...].
local function write_entry(entry_index, arg_index)
  local value, ttl, stale = ARGV[arg_index], tonumber(ARGV[arg_index + 1]), tonumber(ARGV[arg_index + 2])
  local tags = {}
  for i = arg_index + 3, #ARGV do
    local key = KEYS[entry_index + 1 + i - arg_index - 3]
    tags[#tags + 1] = ARGV[i] .. ' ' .. (redis.call('GET', key) or '0')
  end
  local fresh_until = ''
  if stale > 0 then fresh_until = string.format('%d', server_now_ms() + ttl) end
  local namespace = redis.call('GET', KEYS[1]) or '0'
  redis.call('HSET', KEYS[entry_index], 'v', value, 'n', namespace, 'f', fresh_until, 't', table.concat(tags, ' '))
  redis.call('PEXPIRE', KEYS[entry_index], ttl + stale)
end
`;

/**
 * Reads one entry. KEYS: namespace version, entry. ARGV: tag key base.
 * Returns the value when fresh, else nil.
 */
export const getScript = new Script(
  'cache get',
  `${SERVER_NOW_MS_LUA}${READ_ENTRY}
local state, value = read_entry(KEYS[1], KEYS[2], ARGV[1])
if state == 'fresh' then return value end
return false
`,
);

/**
 * Reads many entries. KEYS: namespace version, entries... ARGV: tag key base.
 * Returns one value (or nil when not fresh) per entry, in order.
 */
export const mgetScript = new Script(
  'cache mget',
  `${SERVER_NOW_MS_LUA}${READ_ENTRY}
local out = {}
for i = 2, #KEYS do
  local state, value = read_entry(KEYS[1], KEYS[i], ARGV[1])
  out[i - 1] = state == 'fresh' and value or false
end
return out
`,
);

/**
 * Writes one entry. KEYS: namespace version, entry, tag version keys...
 * ARGV: value, TTL ms, stale ms, tag names (one per tag key). Returns 1.
 */
export const setScript = new Script(
  'cache set',
  `${SERVER_NOW_MS_LUA}${WRITE_ENTRY}
write_entry(2, 1)
return 1
`,
);

/**
 * getOrSet's read: returns the entry and takes the loader lock when it is not fresh.
 * KEYS: namespace version, entry, lock. ARGV: tag key base, lock owner, lock ms.
 * Returns {0, value} fresh; {1, value} stale and locked for the caller; {2, value} stale and
 * locked by another; {3} missing and locked for the caller; {4} missing and locked by another.
 */
export const readOrLockScript = new Script(
  'cache read-or-lock',
  `${SERVER_NOW_MS_LUA}${READ_ENTRY}
local state, value = read_entry(KEYS[1], KEYS[2], ARGV[1])
if state == 'fresh' then return {0, value} end
local locked = redis.call('SET', KEYS[3], ARGV[2], 'NX', 'PX', ARGV[3])
if state == 'stale' then return {locked and 1 or 2, value} end
return {locked and 3 or 4}
`,
);

/**
 * Stores a loaded value and releases the caller's lock. When the caller no longer holds the lock
 * (its lock time passed), nothing is written if another loader holds it or a fresh value is
 * already there, so a slow loader never overwrites a newer value.
 * KEYS: namespace version, lock, entry, tag version keys...
 * ARGV: lock owner, value, TTL ms, stale ms, tag names, tag key base. Returns 1 when written,
 * else 0.
 */
export const fillScript = new Script(
  'cache fill',
  `${SERVER_NOW_MS_LUA}${READ_ENTRY}${WRITE_ENTRY}
-- The tag key base comes last; removing it leaves ARGV in the layout write_entry reads.
local tag_base = table.remove(ARGV)
local holder = redis.call('GET', KEYS[2])
if holder ~= ARGV[1] then
  if holder or read_entry(KEYS[1], KEYS[3], tag_base) == 'fresh' then return 0 end
end
write_entry(3, 2)
if holder then redis.call('DEL', KEYS[2]) end
return 1
`,
);
