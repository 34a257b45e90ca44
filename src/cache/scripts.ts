import { libraryScript } from '../script.js';

// Entries are strings in the format of entry-format.ts. Each script gets the namespace key base
// (`<prefix>:{c:<namespace>}:`) and derives the entry (`e:<key>`), marker (`f:<key>`) and tag set
// (`t:<tag>`) keys from it. They all carry the namespace's hash tag, so in a cluster they live in
// the slot the script runs on even where a key is derived rather than passed in KEYS.

const READ_ENTRY = `
-- Returns 'fresh' or 'stale' and the encoded value, or nil when the entry is missing or was
-- written before the last clear().
local function read_entry(base, key)
  local entry = redis.call('GET', base .. 'e:' .. key)
  if not entry then return nil end
  local version, stale, start = string.match(entry, '^([^|]*)|([01])|[^|]*|()')
  if not version or version ~= (redis.call('GET', base .. 'ver') or '0') then return nil end
  local text = string.sub(entry, start)
  if stale == '1' and redis.call('EXISTS', base .. 'f:' .. key) == 0 then return 'stale', text end
  return 'fresh', text
end
`;

const WRITE_ENTRY = `
-- Writes an entry with the current namespace version, its marker when it has a stale window,
-- and its key into each tag's set. Returns the namespace version.
local function write_entry(base, key, text, ttl, stale, tags)
  local version = redis.call('GET', base .. 'ver') or '0'
  local flag = '0'
  if stale > 0 then
    flag = '1'
    redis.call('SET', base .. 'f:' .. key, '1', 'PX', ttl)
  end
  local life = ttl + stale
  redis.call('SET', base .. 'e:' .. key, version .. '|' .. flag .. '|' .. table.concat(tags, ',') .. '|' .. text, 'PX', life)
  for _, tag in ipairs(tags) do
    local set = base .. 't:' .. tag
    redis.call('SADD', set, key)
    -- A tag set lives as long as its longest-lived entry.
    local remaining = redis.call('PTTL', set)
    if remaining < life then redis.call('PEXPIRE', set, life) end
  end
  return version
end
`;

/**
 * Writes one entry. KEYS: entry. ARGV: namespace key base, key, encoded value, TTL ms, stale ms,
 * tag names... Returns the namespace version.
 */
export const setScript = libraryScript(
  'cache set',
  `${WRITE_ENTRY}
local tags = {}
for i = 6, #ARGV do tags[#tags + 1] = ARGV[i] end
return write_entry(ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]), tags)
`,
);

/**
 * getOrSet's read: returns the entry and takes the loader lock when it is not fresh.
 * KEYS: lock. ARGV: namespace key base, key, lock owner, lock ms.
 * Returns {0, value} fresh; {1, value} stale and locked for the caller; {2, value} stale and
 * locked by another; {3} missing and locked for the caller; {4} missing and locked by another.
 */
export const readOrLockScript = libraryScript(
  'cache read-or-lock',
  `${READ_ENTRY}
local state, text = read_entry(ARGV[1], ARGV[2])
if state == 'fresh' then return {0, text} end
local locked = redis.call('SET', KEYS[1], ARGV[3], 'NX', 'PX', ARGV[4])
if state == 'stale' then return {locked and 1 or 2, text} end
return {locked and 3 or 4}
`,
);

/**
 * Stores a loaded value and releases the caller's lock. When the caller no longer holds the lock
 * (its lock time passed), nothing is written if another loader holds it or a fresh value is
 * already there, so a slow loader never overwrites a newer value.
 * KEYS: lock. ARGV: namespace key base, key, lock owner, encoded value, TTL ms, stale ms, tags...
 * Returns 1 when written, else 0.
 */
export const fillScript = libraryScript(
  'cache fill',
  `${READ_ENTRY}${WRITE_ENTRY}
local holder = redis.call('GET', KEYS[1])
if holder ~= ARGV[3] then
  if holder or read_entry(ARGV[1], ARGV[2]) == 'fresh' then return 0 end
end
local tags = {}
for i = 7, #ARGV do tags[#tags + 1] = ARGV[i] end
write_entry(ARGV[1], ARGV[2], ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6]), tags)
if holder then redis.call('DEL', KEYS[1]) end
return 1
`,
);

/**
 * Deletes the entries that carry a tag. The tag's set may name keys rewritten since without the
 * tag; those are kept. KEYS: tag set. ARGV: namespace key base, tag. Returns the entries deleted.
 */
export const invalidateTagScript = libraryScript(
  'cache invalidate tag',
  `
local deleted = 0
for _, key in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local entry = redis.call('GET', ARGV[1] .. 'e:' .. key)
  local tags = entry and string.match(entry, '^[^|]*|[01]|([^|]*)|')
  if tags and string.find(',' .. tags .. ',', ',' .. ARGV[2] .. ',', 1, true) then
    redis.call('UNLINK', ARGV[1] .. 'e:' .. key, ARGV[1] .. 'f:' .. key)
    deleted = deleted + 1
  end
end
redis.call('UNLINK', KEYS[1])
return deleted
`,
);
