/**
 * Lua fragment that defines `server_now_ms()`, the server's clock in ms. Scripts use it wherever
 * time decides correctness (freshness, retention by age), because callers' clocks drift. Valkey
 * replicates script effects, not scripts, so reading TIME before a write is allowed.
 */
export const SERVER_NOW_MS_LUA = `
local function server_now_ms()
  local server_time = redis.call('TIME')
  return tonumber(server_time[1]) * 1000 + math.floor(tonumber(server_time[2]) / 1000)
end
`;
