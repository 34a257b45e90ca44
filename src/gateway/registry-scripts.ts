import { libraryScript } from '../script.js';

// Registry keys, all in the `{gw}` hash slot:
//   KEYS[1] hash instanceId -> HELLO JSON without the endpoints
//   KEYS[2] hash instanceId -> endpoints JSON
//   KEYS[3] hash instanceId -> last heartbeat JSON {status, inFlight, errorRate}
//   KEYS[4] sorted set instanceId -> server ms of the last sign of life
// ARGV[1] of every script is the expiry in ms. Each script first deletes the instances silent for
// longer (so records expire without anyone reading the table), and every write pushes the keys'
// own TTL to the expiry, so a registry nobody writes to any more disappears as a whole.
const PRELUDE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expire_ms = tonumber(ARGV[1])
local function forget(id)
  for i = 1, 3 do redis.call('HDEL', KEYS[i], id) end
  redis.call('ZREM', KEYS[4], id)
end
for _, id in ipairs(redis.call('ZRANGE', KEYS[4], '-inf', '(' .. (now - expire_ms), 'BYSCORE')) do
  forget(id)
end
local function keep_alive()
  for i = 1, 4 do redis.call('PEXPIRE', KEYS[i], expire_ms) end
end
`;

/**
 * HELLO. KEYS: records, endpoints, heartbeats, seen.
 * ARGV: expiry ms, instance id, HELLO JSON, endpoints JSON, initial heartbeat JSON.
 * Returns the server time in ms.
 */
export const helloScript = libraryScript(
  'registry hello',
  `${PRELUDE}
redis.call('HSET', KEYS[1], ARGV[2], ARGV[3])
redis.call('HSET', KEYS[2], ARGV[2], ARGV[4])
redis.call('HSET', KEYS[3], ARGV[2], ARGV[5])
redis.call('ZADD', KEYS[4], now, ARGV[2])
keep_alive()
return now
`,
);

/**
 * HEARTBEAT (field 3) or ENDPOINTS_UPDATE (field 2), for a registered instance only.
 * KEYS: records, endpoints, heartbeats, seen. ARGV: expiry ms, instance id, field index, JSON.
 * Returns {1, or 0 when the instance is unknown (nothing written), server time in ms}.
 */
export const updateScript = libraryScript(
  'registry update',
  `${PRELUDE}
if redis.call('HEXISTS', KEYS[1], ARGV[2]) == 0 then return {0, now} end
redis.call('HSET', KEYS[tonumber(ARGV[3])], ARGV[2], ARGV[4])
redis.call('ZADD', KEYS[4], now, ARGV[2])
keep_alive()
return {1, now}
`,
);

/** GOODBYE. KEYS: records, endpoints, heartbeats, seen. ARGV: expiry ms, instance id. */
export const goodbyeScript = libraryScript(
  'registry goodbye',
  `${PRELUDE}
forget(ARGV[2])
return 1
`,
);

/**
 * Reads the table. KEYS: records, endpoints, heartbeats, seen. ARGV: expiry ms.
 * Returns {server ms, id, last seen ms, HELLO JSON, endpoints JSON, heartbeat JSON, id, ...}.
 */
export const tableScript = libraryScript(
  'registry table',
  `${PRELUDE}
local out = {now}
local seen = redis.call('ZRANGE', KEYS[4], 0, -1, 'WITHSCORES')
for i = 1, #seen, 2 do
  local id = seen[i]
  local record = redis.call('HGET', KEYS[1], id)
  if record then
    out[#out + 1] = id
    out[#out + 1] = seen[i + 1]
    out[#out + 1] = record
    out[#out + 1] = redis.call('HGET', KEYS[2], id) or '[]'
    out[#out + 1] = redis.call('HGET', KEYS[3], id) or '{}'
  end
end
return out
`,
);
