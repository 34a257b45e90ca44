import type { RoutingTable, ServiceRegistry } from './registry-types.js';
import { RouteIndex } from './routing.js';

/** One read of the routing table, indexed for matching. */
export interface RoutingSnapshot {
  table: RoutingTable;
  index: RouteIndex;
  /** Server clock minus local clock when the snapshot was read, in ms. */
  clockOffsetMs: number;
  /** Local time of the read, in ms. */
  readAt: number;
}

/**
 * Keeps the routing table in memory for `maxAgeMs`, so most requests route without a round trip.
 * It stores data only and never hands a pending read to another caller. In workerd, requests that
 * shared I/O objects failed with "Cannot perform I/O on behalf of a different request" (seen in
 * `npm run bench:gateway`), so this cache is the only state the requests of an isolate share.
 * While one caller refreshes a stale table, the others route with the stale one, and a caller
 * with no table at all reads its own.
 */
export class RoutingCache {
  #snapshot: RoutingSnapshot | undefined;
  #refreshing = false;

  constructor(readonly maxAgeMs: number) {}

  /** Returns a fresh enough snapshot, reading the table through `registry` when needed. */
  async current(registry: ServiceRegistry): Promise<RoutingSnapshot> {
    const snapshot = this.#snapshot;
    if (snapshot && Date.now() - snapshot.readAt < this.maxAgeMs) return snapshot;
    if (snapshot && this.#refreshing) return snapshot;
    this.#refreshing = true;
    try {
      return await this.#read(registry);
    } finally {
      this.#refreshing = false;
    }
  }

  async #read(registry: ServiceRegistry): Promise<RoutingSnapshot> {
    const before = Date.now();
    const table = await registry.table();
    const after = Date.now();
    const snapshot: RoutingSnapshot = {
      table,
      index: new RouteIndex(table),
      // The table was read at the server some time between `before` and `after`.
      clockOffsetMs: table.serverTimeMs - Math.round((before + after) / 2),
      readAt: after,
    };
    if (!this.#snapshot || this.#snapshot.readAt <= snapshot.readAt) this.#snapshot = snapshot;
    return snapshot;
  }
}
