// A Valkey that stops responding (SIGSTOP) under the gateway: each request still gets one 504
// soon after the dispatch deadline, not a response after the executor's own, longer timeout.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTransport,
  Dispatcher,
  serve,
  type RunningProxy,
  type ServiceInstance,
  type ValkeyTransport,
} from '../src/node/index.js';
import { startValkey, type ValkeyServer } from '../scripts/lib/valkey-server.js';
import { ownProxy, OWN_TOKEN } from './fixtures/proxy-helpers.js';
import { uniquePrefix } from './support/adapters.js';

let valkey: ValkeyServer;
let proxy: RunningProxy;
let instance: ServiceInstance;
let serviceTransport: ValkeyTransport;
let gatewayTransport: ValkeyTransport;
const prefix = uniquePrefix();

beforeAll(async () => {
  valkey = await startValkey();
  proxy = await ownProxy(valkey.url);
  serviceTransport = createTransport({ url: valkey.url, prefix }) as ValkeyTransport;
  gatewayTransport = createTransport({
    url: proxy.url,
    token: OWN_TOKEN,
    prefix,
  }) as ValkeyTransport;
  instance = await serve({
    transport: serviceTransport,
    service: 'stall',
    version: '1.0.0',
    pollMs: 100,
    signals: [],
    onError: () => {},
    routes: { 'POST /ok': () => new Response('ok') },
  });
});
afterAll(async () => {
  if (valkey.pid !== undefined) process.kill(valkey.pid, 'SIGCONT');
  await instance.stop();
  await gatewayTransport.close();
  await serviceTransport.close();
  await proxy.close();
  await valkey.dispose();
});

describe('gateway over a stalled Valkey', () => {
  it('returns 504 soon after the deadline', async () => {
    const timeoutMs = 1500;
    const dispatcher = new Dispatcher(gatewayTransport, { timeoutMs });
    const warm = await dispatcher.dispatch(
      new Request('http://gateway.test/ok', { method: 'POST' }),
    );
    expect(warm.status).toBe(200);

    process.kill(valkey.pid!, 'SIGSTOP');
    try {
      const started = Date.now();
      const response = await dispatcher.dispatch(
        new Request('http://gateway.test/ok', { method: 'POST', body: 'new' }),
      );
      const elapsed = Date.now() - started;
      expect(response.status).toBe(504);
      expect((await response.json()).error).toMatch(/could not forward POST \/ok within 1500 ms/);
      expect(elapsed).toBeLessThan(timeoutMs + 1800);
    } finally {
      process.kill(valkey.pid!, 'SIGCONT');
    }
  }, 30_000);
});
