// Names the gateway shares with the queue: its request frames travel on queue streams, and its
// reply script acts on a lease with the same check as the queue's own scripts.
export { GROUP, HOLDS_LEASE_LUA } from './lua-common.js';
