import { afterEach, describe, expect, it } from 'vitest';
import { InvalidArgumentError, type ValkeyTransport } from '../src/node/index.js';
import type { Hello, InstanceView } from '../src/gateway/registry-types.js';
import { adapters } from './support/adapters.js';
import { eventually } from './fixtures/gateway-helpers.js';

const hello = (instanceId: string, overrides: Partial<Hello> = {}): Hello => ({
  instanceId,
  service: 'users',
  version: '1.0.0',
  region: 'eu-west',
  endpoints: [{ method: 'get', path: '/users/:id' }],
  ...overrides,
});

describe.each(adapters)('service registry over $name', (adapter) => {
  let transport: ValkeyTransport;
  afterEach(() => transport?.close());

  it('lists an instance after HELLO', async () => {
    transport = adapter.create();
    const registry = transport.registry();
    const serverTime = await registry.hello(hello('a'));
    const table = await registry.table();
    expect(table.serverTimeMs).toBeGreaterThanOrEqual(serverTime);
    expect(table.instances).toHaveLength(1);
    const [a] = table.instances;
    expect(a).toMatchObject({
      instanceId: 'a',
      service: 'users',
      version: '1.0.0',
      region: 'eu-west',
      endpoints: [{ method: 'GET', path: '/users/:id' }],
      reported: 'Healthy',
      liveness: 'Healthy',
      inFlight: 0,
      errorRate: 0,
    });
  });

  it('records heartbeats and endpoint updates', async () => {
    transport = adapter.create();
    const registry = transport.registry();
    await registry.hello(hello('a'));
    const beat = await registry.heartbeat({
      instanceId: 'a',
      status: 'Degraded',
      inFlight: 3,
      errorRate: 0.25,
    });
    expect(beat.known).toBe(true);
    const update = await registry.updateEndpoints('a', [{ method: 'POST', path: '/users' }]);
    expect(update.known).toBe(true);
    const [a] = (await registry.table()).instances;
    expect(a?.reported).toBe('Degraded');
    expect(a?.liveness).toBe('Degraded');
    expect(a?.inFlight).toBe(3);
    expect(a?.errorRate).toBe(0.25);
    expect(a?.endpoints).toEqual([{ method: 'POST', path: '/users' }]);
  });

  it('ignores updates from unknown instances', async () => {
    transport = adapter.create();
    const registry = transport.registry();
    const beat = await registry.heartbeat({
      instanceId: 'ghost',
      status: 'Healthy',
      inFlight: 0,
      errorRate: 0,
    });
    const update = await registry.updateEndpoints('ghost', []);
    expect(beat.known).toBe(false);
    expect(update.known).toBe(false);
    expect((await registry.table()).instances).toEqual([]);
  });

  it('removes an instance on GOODBYE', async () => {
    transport = adapter.create();
    const registry = transport.registry();
    await registry.hello(hello('a'));
    await registry.hello(hello('b'));
    await registry.goodbye('a');
    const ids = (await registry.table()).instances.map((i) => i.instanceId);
    expect(ids).toEqual(['b']);
    const beat = await registry.heartbeat({
      instanceId: 'a',
      status: 'Healthy',
      inFlight: 0,
      errorRate: 0,
    });
    expect(beat.known).toBe(false);
  });

  it('downgrades silent instances on the server clock', async () => {
    transport = adapter.create();
    const registry = transport.registry({
      degradedAfterMs: 300,
      unhealthyAfterMs: 600,
      expireAfterMs: 5000,
    });
    await registry.hello(hello('healthy'));
    await registry.hello(hello('draining'));
    await registry.heartbeat({
      instanceId: 'draining',
      status: 'Draining',
      inFlight: 1,
      errorRate: 0,
    });
    const seen: InstanceView[] = [];
    await eventually(async () => {
      const table = await registry.table();
      seen.push(...table.instances);
      return table.instances.every((i) => i.liveness === 'Unhealthy') ? true : undefined;
    });
    for (const view of seen) {
      const expected =
        view.silentForMs >= 600
          ? 'Unhealthy'
          : view.silentForMs >= 300 && view.reported === 'Healthy'
            ? 'Degraded'
            : view.reported;
      expect(view.liveness, `${view.instanceId} after ${view.silentForMs} ms`).toBe(expected);
    }
    const healthy = seen.filter((v) => v.instanceId === 'healthy').map((v) => v.liveness);
    expect(healthy).toContain('Degraded');
    expect(healthy).toContain('Unhealthy');
  });

  it('expires silent instances without a table read', async () => {
    transport = adapter.create();
    const registry = transport.registry({
      degradedAfterMs: 100,
      unhealthyAfterMs: 200,
      expireAfterMs: 300,
    });
    const records = `${transport.prefix}:{gw}:instances`;
    await registry.hello(hello('silent'));
    await registry.hello(hello('alive'));
    const ttl = Number(await transport.executor.send(['PTTL', records]));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(300);
    // Only `alive` speaks; its heartbeats delete the records of `silent` once it expired.
    await eventually(async () => {
      await registry.heartbeat({
        instanceId: 'alive',
        status: 'Healthy',
        inFlight: 0,
        errorRate: 0,
      });
      const left = await transport.executor.send(['HEXISTS', records, 'silent']);
      return left === 0 ? true : undefined;
    });
    expect(await transport.executor.send(['HEXISTS', records, 'alive'])).toBe(1);
    // Once the writes stop, the registry keys expire as a whole.
    await eventually(async () =>
      (await transport.executor.send(['EXISTS', records])) === 0 ? true : undefined,
    );
  });

  it('rejects invalid frames before sending', async () => {
    transport = adapter.create();
    const registry = transport.registry();
    await expect(registry.hello(hello('a', { service: 'bad:name' }))).rejects.toThrow(
      InvalidArgumentError,
    );
    await expect(
      registry.hello(hello('a', { endpoints: [{ method: 'FETCH', path: '/x' }] })),
    ).rejects.toThrow(/endpoint method/);
    await expect(
      registry.hello(hello('a', { endpoints: [{ method: 'GET', path: 'x' }] })),
    ).rejects.toThrow(/endpoint path/);
    await expect(
      registry.heartbeat({
        instanceId: 'a',
        status: 'Sleepy' as 'Healthy',
        inFlight: 0,
        errorRate: 0,
      }),
    ).rejects.toThrow(/heartbeat status/);
    await expect(
      registry.heartbeat({ instanceId: 'a', status: 'Healthy', inFlight: -1, errorRate: 0 }),
    ).rejects.toThrow(/inFlight/);
    expect(() => transport.registry({ degradedAfterMs: 500, unhealthyAfterMs: 100 })).toThrow(
      /must grow/,
    );
    expect((await registry.table()).instances).toEqual([]);
  });
});
