import { Script } from '../script.js';

// Registry keys: KEYS[1] hash instanceId -> HELLO JSON, KEYS[2] hash instanceId -> heartbeat JSON,
// KEYS[3] sorted set instanceId -> server ms of the last HELLO or heartbeat.
const NOW_MS = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/**
 * HELLO. KEYS: records, statuses, seen. ARGV: instance id, HELLO JSON, initial heartbeat JSON.
 * Returns the server time in ms.
 */
export const helloScript = new Script(
  'registry hello',
  `${NOW_MS}
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
redis.call('ZADD', KEYS[3], now, ARGV[1])
return now
`,
);

/**
 * HEARTBEAT. KEYS: records, statuses, seen. ARGV: instance id, heartbeat JSON.
 * Returns {1 or 0 (unknown instance), server time in ms}.
 */
export const heartbeatScript = new Script(
  'registry heartbeat',
  `${NOW_MS}
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return {0, now} end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[3], now, ARGV[1])
return {1, now}
`,
);

/** GOODBYE. KEYS: records, statuses, seen. ARGV: instance id. */
export const goodbyeScript = new Script(
  'registry goodbye',
  `
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
return 1
`,
);

/**
 * Reads the table after deleting instances silent for longer than the expiry.
 * KEYS: records, statuses, seen. ARGV: expiry ms.
 * Returns {server ms, id, last seen ms, HELLO JSON, heartbeat JSON, id, ...}.
 */
export const tableScript = new Script(
  'registry table',
  `${NOW_MS}
local expired = redis.call('ZRANGE', KEYS[3], '-inf', '(' .. (now - tonumber(ARGV[1])), 'BYSCORE')
for _, id in ipairs(expired) do
  redis.call('HDEL', KEYS[1], id)
  redis.call('HDEL', KEYS[2], id)
  redis.call('ZREM', KEYS[3], id)
end
local out = {now}
local seen = redis.call('ZRANGE', KEYS[3], 0, -1, 'WITHSCORES')
for i = 1, #seen, 2 do
  local id = seen[i]
  local record = redis.call('HGET', KEYS[1], id)
  if record then
    out[#out + 1] = id
    out[#out + 1] = seen[i + 1]
    out[#out + 1] = record
    out[#out + 1] = redis.call('HGET', KEYS[2], id) or '{}'
  end
end
return out
`,
);
