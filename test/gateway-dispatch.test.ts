import { pino } from 'pino';
import { afterEach, describe, expect, inject, it } from 'vitest';
import {
  createTransport,
  Dispatcher,
  HttpExecutor,
  startProxy,
  serve,
  type RequestFrame,
  type ServeOptions,
  type ServiceInstance,
  type ValkeyTransport,
} from '../src/node/index.js';
import { adapters, uniquePrefix } from './support/adapters.js';
import { eventually, replyKeysLeft } from './fixtures/gateway-helpers.js';

const calls = new Map<string, number>();

const echo: ServeOptions['routes'] = {
  'ALL /echo/*': async (request) => {
    const url = new URL(request.url);
    calls.set(url.pathname, (calls.get(url.pathname) ?? 0) + 1);
    const headers = Object.fromEntries(request.headers);
    const body = new Uint8Array(await request.arrayBuffer());
    return new Response(body, {
      status: 201,
      headers: {
        'x-echo': JSON.stringify({
          method: request.method,
          path: url.pathname,
          query: url.search,
          headers,
        }),
        'content-type': request.headers.get('content-type') ?? 'application/octet-stream',
        'keep-alive': 'timeout=5',
      },
    });
  },
  'GET /fail': () => {
    throw new Error('handler exploded');
  },
  'GET /slow': () => new Promise((resolve) => setTimeout(() => resolve(new Response('late')), 800)),
};

describe.each(adapters)('dispatch over $name', (adapter) => {
  let transport: ValkeyTransport;
  const instances: ServiceInstance[] = [];
  afterEach(async () => {
    await Promise.all(instances.splice(0).map((i) => i.stop()));
    await transport.close();
  });

  async function start(options: Partial<ServeOptions> = {}): Promise<ServiceInstance> {
    const instance = await serve({
      transport,
      service: 'echo',
      version: '1.0.0',
      routes: echo,
      pollMs: 200,
      signals: [],
      ...options,
    });
    instances.push(instance);
    return instance;
  }

  it('forwards method, path, query, headers and binary bodies', async () => {
    transport = adapter.create();
    await start();
    const dispatcher = new Dispatcher(transport);
    const bytes = new Uint8Array(256).map((_, i) => i);
    const response = await dispatcher.dispatch(
      new Request('http://gateway.test/echo/a%20b?x=1&y=%F0%9F%98%80', {
        method: 'PUT',
        body: bytes,
        headers: {
          'content-type': 'application/x-binary',
          'x-trace': 'abc',
          connection: 'x-secret-hop',
          'x-secret-hop': 'no',
          'proxy-authorization': 'Basic Zm9v',
        },
      }),
    );
    expect(response.status).toBe(201);
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(bytes);
    expect(response.headers.get('content-type')).toBe('application/x-binary');
    expect(response.headers.get('keep-alive')).toBeNull();
    const seen = JSON.parse(response.headers.get('x-echo')!);
    expect(seen.method).toBe('PUT');
    expect(seen.path).toBe('/echo/a%20b');
    expect(seen.query).toBe('?x=1&y=%F0%9F%98%80');
    expect(seen.headers['x-trace']).toBe('abc');
    expect(seen.headers['x-secret-hop']).toBeUndefined();
    expect(seen.headers['proxy-authorization']).toBeUndefined();
    expect(seen.headers.connection).toBeUndefined();
    expect(await replyKeysLeft(transport)).toEqual([]);
  });

  it('answers 413 for a body over the cap without forwarding it', async () => {
    transport = adapter.create();
    await start();
    calls.clear();
    const dispatcher = new Dispatcher(transport, { maxBodyBytes: 1000 });
    const declared = await dispatcher.dispatch(
      new Request('http://gateway.test/echo/big', { method: 'POST', body: new Uint8Array(1001) }),
    );
    expect(declared.status).toBe(413);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 5; i++) controller.enqueue(new Uint8Array(300));
        controller.close();
      },
    });
    const streamed = await dispatcher.dispatch(
      new Request('http://gateway.test/echo/big', {
        method: 'POST',
        body: stream,
        duplex: 'half',
      } as RequestInit),
    );
    expect(streamed.status).toBe(413);
    expect((await streamed.json()).error).toMatch(/1000-byte limit/);
    const exact = await dispatcher.dispatch(
      new Request('http://gateway.test/echo/ok', { method: 'POST', body: new Uint8Array(1000) }),
    );
    expect(exact.status).toBe(201);
    expect(calls.get('/echo/big')).toBeUndefined();
    expect(calls.get('/echo/ok')).toBe(1);
  });

  it('answers 503 without a live instance and 405 for another method', async () => {
    transport = adapter.create();
    await start({ routes: { 'GET /only-get': () => new Response('ok') } });
    const dispatcher = new Dispatcher(transport);
    const missing = await dispatcher.dispatch(new Request('http://gateway.test/nowhere'));
    expect(missing.status).toBe(503);
    expect((await missing.json()).error).toMatch(/No live service instance serves GET \/nowhere/);
    const wrong = await dispatcher.dispatch(
      new Request('http://gateway.test/only-get', { method: 'DELETE' }),
    );
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET');
  });

  it('answers 502 when the handler throws and reports the error rate', async () => {
    transport = adapter.create();
    const errors: unknown[] = [];
    const instance = await start({ heartbeatMs: 50, onError: (e) => errors.push(e) });
    const dispatcher = new Dispatcher(transport);
    for (let i = 0; i < 10; i++) {
      const response = await dispatcher.dispatch(new Request('http://gateway.test/fail'));
      expect(response.status).toBe(502);
      const { error } = (await response.json()) as { error: string };
      expect(error).toMatch(/failed to handle GET \/fail \(correlation id [\w-]+\)/);
      expect(error).not.toMatch(/handler exploded/);
    }
    expect(errors.length).toBeGreaterThanOrEqual(10);
    expect(String(errors[0])).toMatch(/handler exploded/);
    const registry = transport.registry();
    const view = await eventually(async () => {
      const [only] = (await registry.table()).instances;
      return only?.reported === 'Degraded' ? only : undefined;
    });
    expect(view.errorRate).toBe(1);
    expect(instance.status).toBe('Degraded');
  });

  it('answers 502 for a malformed reply frame', async () => {
    transport = adapter.create();
    // A hand-made instance: registered, leasing and replying with raw commands.
    await transport.registry().hello({
      instanceId: 'raw',
      service: 'raw',
      version: '1.0.0',
      endpoints: [{ method: 'GET', path: '/raw' }],
    });
    const queue = transport.queue<RequestFrame>('gw:raw:1.0.0');
    const dispatcher = new Dispatcher(transport, { timeoutMs: 5000 });
    for (const reply of ['not json', JSON.stringify({ status: 1000, headers: [], body: null })]) {
      const pending = dispatcher.dispatch(new Request('http://gateway.test/raw'));
      const [message] = await eventually(async () => {
        const leased = await queue.lease({ consumer: 'raw' });
        return leased.length > 0 ? leased : undefined;
      });
      const key = `${transport.prefix}:{q:gw:raw:1.0.0}:reply:${message!.body.correlationId}`;
      await transport.executor.send(['RPUSH', key, reply]);
      const response = await pending;
      expect(response.status).toBe(502);
      expect((await response.json()).error).toMatch(/raw 1.0.0 sent a malformed reply/);
    }
  });

  it('answers 504 when the deadline passes', async () => {
    transport = adapter.create();
    await start();
    const dispatcher = new Dispatcher(transport, { timeoutMs: 300 });
    const response = await dispatcher.dispatch(new Request('http://gateway.test/slow'));
    expect(response.status).toBe(504);
    expect((await response.json()).error).toMatch(/did not reply to GET \/slow within 300 ms/);
  });

  it('routes to the highest version or the requested one', async () => {
    transport = adapter.create();
    const who = (version: string) => ({ 'GET /who': () => Response.json({ version }) });
    await start({ service: 'who', version: '1.0.0', routes: who('1.0.0') });
    await start({ service: 'who', version: '2.0.0', routes: who('2.0.0') });
    const dispatcher = new Dispatcher(transport);
    const version = async (headers: Record<string, string> = {}) => {
      const response = await dispatcher.dispatch(
        new Request('http://gateway.test/who', { headers }),
      );
      return response.status === 200 ? (await response.json()).version : response.status;
    };
    expect(await version()).toBe('2.0.0');
    expect(await version({ 'x-service-version': '1.0.0' })).toBe('1.0.0');
    expect(await version({ 'x-service-version': '3.0.0' })).toBe(503);
  });

  it('routes to new endpoints after ENDPOINTS_UPDATE', async () => {
    transport = adapter.create();
    const instance = await start({ routes: { 'GET /v1': () => new Response('one') } });
    const dispatcher = new Dispatcher(transport, { tableCacheMs: 20 });
    expect((await dispatcher.dispatch(new Request('http://gateway.test/v2'))).status).toBe(503);
    await instance.setRoutes({ 'GET /v2': () => new Response('two') });
    await new Promise((resolve) => setTimeout(resolve, 30));
    const response = await dispatcher.dispatch(new Request('http://gateway.test/v2'));
    expect(await response.text()).toBe('two');
    expect((await dispatcher.dispatch(new Request('http://gateway.test/v1'))).status).toBe(503);
  });
});

describe('dispatch through a proxy with a small blocking pool', () => {
  it('answers every request when waits outnumber connections', async () => {
    const token = `pool-token-${crypto.randomUUID()}`;
    const proxy = await startProxy({
      valkeyUrl: inject('valkeyUrl'),
      tokens: [token],
      port: 0,
      maxBlockingConnections: 2,
      logger: pino({ level: 'silent' }),
    });
    const prefix = uniquePrefix();
    const service = adapters[0]!.create({ prefix });
    const gateway = createTransport({ url: proxy.url, token, prefix }) as ValkeyTransport;
    const replyExecutor = new HttpExecutor({ url: proxy.url, token, autoPipeline: false });
    const instance = await serve({
      transport: service,
      service: 'pool',
      version: '1.0.0',
      concurrency: 16,
      signals: [],
      routes: {
        // Slow enough that waits pile up beyond the two blocking connections.
        'GET /n/:n': async (_request, { n }) => {
          await new Promise((resolve) => setTimeout(resolve, 50));
          return new Response(n);
        },
      },
    });
    try {
      const dispatcher = new Dispatcher(gateway, { replyExecutor });
      const bodies = await Promise.all(
        Array.from({ length: 30 }, async (_, n) => {
          const response = await dispatcher.dispatch(new Request(`http://gateway.test/n/${n}`));
          return `${response.status} ${await response.text()}`;
        }),
      );
      expect(bodies).toEqual(Array.from({ length: 30 }, (_, n) => `200 ${n}`));
    } finally {
      await instance.stop();
      await service.close();
      await gateway.close();
      await proxy.close();
    }
  });
});

describe('Dispatcher options', () => {
  it('rejects a timeout setTimeout cannot hold', async () => {
    const transport = createTransport(inject('valkeyUrl')) as ValkeyTransport;
    try {
      expect(() => new Dispatcher(transport, { timeoutMs: 3e9 })).toThrow(
        /Invalid timeoutMs: 3000000000\. Pass at most 2147483647 ms/,
      );
      expect(() => new Dispatcher(transport, { timeoutMs: 2_147_483_647 })).not.toThrow();
    } finally {
      await transport.close();
    }
  });
});
