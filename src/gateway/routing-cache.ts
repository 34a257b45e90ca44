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
 * Concurrent requests that find it stale share one read.
 */
export class RoutingCache {
  #snapshot: RoutingSnapshot | undefined;
  #reading: Promise<RoutingSnapshot> | undefined;

  constructor(
    private readonly registry: ServiceRegistry,
    private readonly maxAgeMs: number,
  ) {}

  current(): Promise<RoutingSnapshot> {
    const snapshot = this.#snapshot;
    if (snapshot && Date.now() - snapshot.readAt < this.maxAgeMs) return Promise.resolve(snapshot);
    this.#reading ??= this.#read().finally(() => (this.#reading = undefined));
    return this.#reading;
  }

  async #read(): Promise<RoutingSnapshot> {
    const before = Date.now();
    const table = await this.registry.table();
    const after = Date.now();
    const snapshot: RoutingSnapshot = {
      table,
      index: new RouteIndex(table),
      // The table was read at the server some time between `before` and `after`.
      clockOffsetMs: table.serverTimeMs - Math.round((before + after) / 2),
      readAt: after,
    };
    this.#snapshot = snapshot;
    return snapshot;
  }
}
