// How instances pulling from a shared queue honour the gateway's preferences: Healthy before
// Degraded, and nothing for an instance the gateway no longer counts as live.
import { afterEach, describe, expect, it } from 'vitest';
import {
  Dispatcher,
  serve,
  type RequestFrame,
  type ServeOptions,
  type ServiceInstance,
  type ValkeyTransport,
} from '../src/node/index.js';
import { adapters } from './support/adapters.js';
import { eventually } from './fixtures/gateway-helpers.js';

describe.each(adapters)('pulling instances over $name', (adapter) => {
  let transport: ValkeyTransport;
  const instances: ServiceInstance[] = [];
  afterEach(async () => {
    await Promise.all(instances.splice(0).map((i) => i.stop()));
    await transport.close();
  });

  async function start(name: string, options: Partial<ServeOptions> = {}) {
    let release = () => {};
    const instance = await serve({
      transport,
      service: 'pull',
      version: '1.0.0',
      pollMs: 200,
      signals: [],
      routes: {
        'GET /who': () => new Response(name),
        'GET /hold': () =>
          new Promise<Response>((resolve) => (release = () => resolve(new Response(name)))),
      },
      ...options,
    });
    instances.push(instance);
    return { instance, release: () => release() };
  }

  it('lets Healthy instances claim requests before Degraded ones', async () => {
    transport = adapter.create();
    const healthy = await start('healthy', { concurrency: 1 });
    const degraded = await start('degraded', {
      health: () => 'Degraded',
      heartbeatMs: 20,
      degradedDelayMs: 300,
    });
    await eventually(async () => (degraded.instance.status === 'Degraded' ? true : undefined));
    const dispatcher = new Dispatcher(transport);
    const who = async (path = '/who') =>
      (await dispatcher.dispatch(new Request(`http://gateway.test${path}`))).text();
    for (let i = 0; i < 10; i++) expect(await who()).toBe('healthy');
    // With the Healthy instance's only slot taken, the Degraded one serves the overflow.
    const held = who('/hold');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(await who()).toBe('degraded');
    healthy.release();
    expect(await held).toBe('healthy');
  });

  it('stops leasing once its heartbeats go unacknowledged', async () => {
    transport = adapter.create();
    const ran: string[] = [];
    await serve({
      transport,
      service: 'fenced',
      version: '1.0.0',
      pollMs: 50,
      signals: [],
      // Heartbeats far apart: after HELLO the instance is silent for longer than the threshold.
      heartbeatMs: 60_000,
      unhealthyAfterMs: 300,
      routes: { 'GET /x': () => (ran.push('x'), new Response('x')) },
    }).then((i) => instances.push(i));
    const dispatcher = new Dispatcher(transport, {
      registry: { degradedAfterMs: 150, unhealthyAfterMs: 300 },
      tableCacheMs: 10,
    });
    expect((await dispatcher.dispatch(new Request('http://gateway.test/x'))).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect((await dispatcher.dispatch(new Request('http://gateway.test/x'))).status).toBe(503);
    // A frame enqueued anyway (by a gateway with a stale table) stays unclaimed.
    const [seconds] = (await transport.executor.send(['TIME'])) as [string];
    const frame: RequestFrame = {
      correlationId: 'stale-table',
      method: 'GET',
      path: '/x',
      query: '',
      headers: [],
      body: null,
      deadline: Number(seconds) * 1000 + 5000,
    };
    await transport.queue<RequestFrame>('gw:fenced:1.0.0').enqueue(frame);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const stream = `${transport.prefix}:{q:gw:fenced:1.0.0}:stream`;
    const pending = (await transport.executor.send(['XPENDING', stream, 'workers'])) as [number];
    expect(pending[0]).toBe(0);
    expect(await transport.executor.send(['XLEN', stream])).toBe(1);
    expect(ran).toEqual(['x']);
  });
});
