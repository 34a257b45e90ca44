import { libraryScript } from '../script.js';

// An idempotency record is one hash: s = state ('pending' or 'done'), f = fingerprint,
// o = holder token (while pending), t = TTL ms of the completed record, r = stored result.
// While pending, the key expires after the lock time, so a holder that dies releases it.

/**
 * Begins or looks up a record.
 * KEYS: record. ARGV: fingerprint, holder token, lock ms, TTL ms of the completed record.
 * Returns {'acquired'}, {'mismatch'}, {'in-progress', PTTL} or {'completed', result}.
 */
export const beginScript = libraryScript(
  'idempotency begin',
  `
local record = redis.call('HMGET', KEYS[1], 's', 'f', 'r')
if not record[1] then
  redis.call('HSET', KEYS[1], 's', 'pending', 'f', ARGV[1], 'o', ARGV[2], 't', ARGV[4])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return {'acquired'}
end
if record[2] ~= ARGV[1] then return {'mismatch'} end
if record[1] == 'pending' then return {'in-progress', redis.call('PTTL', KEYS[1])} end
return {'completed', record[3]}
`,
);

/**
 * Stores the result if the caller still holds the record, and keeps it for its TTL.
 * KEYS: record. ARGV: holder token, result. Returns 1 when stored, else 0.
 */
export const completeScript = libraryScript(
  'idempotency complete',
  `
local record = redis.call('HMGET', KEYS[1], 's', 'o', 't')
if record[1] ~= 'pending' or record[2] ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 's', 'done', 'r', ARGV[2])
redis.call('HDEL', KEYS[1], 'o')
redis.call('PEXPIRE', KEYS[1], record[3])
return 1
`,
);

/**
 * Deletes a pending record held by the caller. KEYS: record. ARGV: holder token.
 * Returns 1 when released, else 0.
 */
export const abandonScript = libraryScript(
  'idempotency abandon',
  `
local record = redis.call('HMGET', KEYS[1], 's', 'o')
if record[1] ~= 'pending' or record[2] ~= ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
`,
);
