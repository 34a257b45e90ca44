import { libraryScript } from '../script.js';

/**
 * Compare-and-delete: deletes the key if it holds the value.
 * KEYS: key. ARGV: value. Returns 1 when deleted, else 0.
 */
export const compareAndDeleteScript = libraryScript(
  'compare and delete',
  `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`,
);

/**
 * Sets a new TTL on the key if it holds the value.
 * KEYS: key. ARGV: value, TTL ms. Returns 1 when extended, else 0.
 */
export const extendScript = libraryScript(
  'token extend',
  `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`,
);

/**
 * Compare-and-set. KEYS: key. ARGV: 'value' (expect ARGV[2]) or 'absent' (expect no key),
 * expected value, next value, TTL ms or '' to keep the current TTL.
 * Returns 1 when set, else 0.
 */
export const compareAndSetScript = libraryScript(
  'token compare-and-set',
  `
local current = redis.call('GET', KEYS[1])
if ARGV[1] == 'absent' then
  if current then return 0 end
elseif current ~= ARGV[2] then
  return 0
end
if ARGV[4] == '' then
  redis.call('SET', KEYS[1], ARGV[3], 'KEEPTTL')
else
  redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
end
return 1
`,
);

/**
 * Reads a value with its remaining TTL in one atomic step.
 * KEYS: key. Returns nil, or {value, PTTL} (PTTL -1 when the key has no expiry).
 */
export const getWithTtlScript = libraryScript(
  'token get',
  `
local value = redis.call('GET', KEYS[1])
if not value then return false end
return {value, redis.call('PTTL', KEYS[1])}
`,
);
