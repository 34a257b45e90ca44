// A handler that ignores its request.signal and never settles: the gateway still returns 504 at
// the deadline, and the instance lets go of the request soon after, so its concurrency slot, the
// queue entry and stop() are not held forever.
import { afterEach, describe, expect, it } from 'vitest';
import {
  Dispatcher,
  serve,
  type ServiceInstance,
  type ValkeyTransport,
} from '../src/node/index.js';
import { adapters, uniquePrefix } from './support/adapters.js';
import { eventually } from './fixtures/gateway-helpers.js';

describe.each(adapters)('stuck handler over $name', (adapter) => {
  let transport: ValkeyTransport;
  let instance: ServiceInstance | undefined;
  afterEach(async () => {
    await instance?.stop();
    await transport.close();
  });

  it('is abandoned after its deadline', async () => {
    const prefix = uniquePrefix();
    transport = adapter.create({ prefix });
    let started = 0;
    instance = await serve({
      transport,
      service: 'stuck',
      version: '1.0.0',
      concurrency: 1,
      leaseMs: 600,
      pollMs: 100,
      signals: [],
      routes: {
        'GET /never': () => {
          started++;
          return new Promise<Response>(() => {});
        },
        'GET /ok': () => new Response('ok'),
      },
    });
    const dispatcher = new Dispatcher(transport, { timeoutMs: 800 });

    const stuck = await dispatcher.dispatch(new Request('http://gateway.test/never'));
    expect(stuck.status).toBe(504);
    expect(started).toBe(1);

    // The only slot comes free, and the request's entry leaves the queue.
    await eventually(async () => (instance!.inFlight === 0 ? true : undefined), 5000, 'slot freed');
    const stream = `${prefix}:{q:gw:stuck:1.0.0}:stream`;
    expect(await transport.executor.send(['XLEN', stream])).toBe(0);
    const next = await dispatcher.dispatch(new Request('http://gateway.test/ok'));
    expect(next.status).toBe(200);
    expect(await next.text()).toBe('ok');

    const stopped = await Promise.race([
      instance.stop().then(() => 'stopped'),
      new Promise((resolve) => setTimeout(resolve, 5000, 'still running')),
    ]);
    expect(stopped).toBe('stopped');
  }, 20_000);
});
