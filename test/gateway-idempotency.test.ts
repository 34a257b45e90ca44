// Idempotency-Key in the dispatcher over both adapters; the worker test covers workerd.
import { afterEach, describe, expect, it } from 'vitest';
import {
  Dispatcher,
  serve,
  type ServiceInstance,
  type ValkeyTransport,
} from '../src/node/index.js';
import { adapters } from './support/adapters.js';

describe.each(adapters)('idempotent dispatch over $name', (adapter) => {
  let transport: ValkeyTransport;
  let instance: ServiceInstance | undefined;
  afterEach(async () => {
    await instance?.stop();
    await transport.close();
  });

  it('runs a keyed request once', async () => {
    transport = adapter.create();
    let runs = 0;
    instance = await serve({
      transport,
      service: 'pay',
      version: '1.0.0',
      pollMs: 200,
      signals: [],
      routes: {
        'POST /pay': async (request) => {
          runs++;
          const body = new Uint8Array(await request.arrayBuffer());
          return new Response(body.reverse(), { status: 201, headers: { 'x-run': String(runs) } });
        },
      },
    });
    const dispatcher = new Dispatcher(transport);
    const bytes = new Uint8Array([0, 255, 128, 10, 13, 0]);
    const pay = (body: Uint8Array<ArrayBuffer>, key = 'order-1') =>
      dispatcher.dispatch(
        new Request('http://gateway.test/pay', {
          method: 'POST',
          body,
          headers: { 'idempotency-key': key },
        }),
      );

    const first = await pay(bytes);
    expect(first.status).toBe(201);
    const firstBody = new Uint8Array(await first.arrayBuffer());
    expect(firstBody).toEqual(new Uint8Array([0, 13, 10, 128, 255, 0]));

    const replay = await pay(bytes);
    expect(replay.status).toBe(201);
    expect(replay.headers.get('x-run')).toBe('1');
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(new Uint8Array(await replay.arrayBuffer())).toEqual(firstBody);

    const mismatch = await pay(new Uint8Array([1]));
    expect(mismatch.status).toBe(422);
    expect(runs).toBe(1);

    const fresh = await pay(bytes, 'order-2');
    expect(fresh.headers.get('x-run')).toBe('2');
  });
});
