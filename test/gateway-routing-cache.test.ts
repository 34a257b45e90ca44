// The routing-table cache that all requests of a Worker isolate share. In workerd a request must
// not wait on a read that another request started, so the cache never hands out a pending read.
import { describe, expect, it } from 'vitest';
import { RoutingCache } from '../src/node/index.js';
import { adapters } from './support/adapters.js';
import { countedTransport } from './support/round-trips.js';

describe.each(adapters)('routing cache over $name', (adapter) => {
  it('gives each caller without a table its own read', async () => {
    const counted = countedTransport(adapter);
    const registry = counted.transport.registry();
    const cache = new RoutingCache(60_000);
    const [first, second] = await Promise.all([cache.current(registry), cache.current(registry)]);
    // A shared read would give both callers the same snapshot object.
    expect(first).not.toBe(second);
    expect(first.table.instances).toEqual([]);
    expect(second.table.instances).toEqual([]);
    await counted.transport.close();
  });

  it('serves the stale table while another caller refreshes it', async () => {
    const counted = countedTransport(adapter);
    const registry = counted.transport.registry();
    const cache = new RoutingCache(1);
    const old = await cache.current(registry);
    await new Promise((resolve) => setTimeout(resolve, 5));
    counted.reset();
    const refreshing = cache.current(registry);
    const meanwhile = await cache.current(registry);
    expect(meanwhile).toBe(old);
    const refreshed = await refreshing;
    expect(refreshed).not.toBe(old);
    expect(await cache.current(registry)).not.toBe(old);
    await counted.transport.close();
  });

  it('reuses a fresh table without a round trip', async () => {
    const counted = countedTransport(adapter);
    const registry = counted.transport.registry();
    const cache = new RoutingCache(60_000);
    const first = await cache.current(registry);
    counted.reset();
    expect(await cache.current(registry)).toBe(first);
    expect(counted.count()).toBe(0);
    await counted.transport.close();
  });
});
