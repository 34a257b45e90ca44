// Instances that miss heartbeats or drain, and replies that come after the request's deadline.
import { afterEach, describe, expect, it } from 'vitest';
import {
  Dispatcher,
  serve,
  type InstanceView,
  type RequestFrame,
  type ServiceInstance,
  type ValkeyTransport,
} from '../src/node/index.js';
import { adapters, uniquePrefix } from './support/adapters.js';
import {
  eventually,
  killChild,
  replyKeysLeft,
  startChildService,
  type ChildService,
} from './fixtures/gateway-helpers.js';

const LIVENESS = { degradedAfterMs: 400, unhealthyAfterMs: 800, expireAfterMs: 1000 };
const CHILD = {
  SERVICE: 'cases',
  HEARTBEAT_MS: '100',
  POLL_MS: '200',
  UNHEALTHY_AFTER_MS: String(LIVENESS.unhealthyAfterMs),
};

describe.each(adapters)('gateway cases over $name', (adapter) => {
  let transport: ValkeyTransport;
  const children: ChildService[] = [];
  const instances: ServiceInstance[] = [];
  afterEach(async () => {
    await Promise.all(children.splice(0).map(killChild));
    await Promise.all(instances.splice(0).map((i) => i.stop()));
    await transport.close();
  });

  async function child(prefix: string, env: Record<string, string> = {}) {
    const started = await startChildService(adapter.name, { ...CHILD, KEY_PREFIX: prefix, ...env });
    children.push(started);
    return started;
  }

  const whoami = async (dispatcher: Dispatcher) => {
    const response = await dispatcher.dispatch(new Request('http://gateway.test/whoami'));
    return response.status === 200 ? String((await response.json()).instanceId) : response.status;
  };

  it('stops routing to an instance that stopped heartbeating', async () => {
    const prefix = uniquePrefix();
    transport = adapter.create({ prefix });
    const [a, b] = await Promise.all([child(prefix), child(prefix)]);
    const dispatcher = new Dispatcher(transport, { registry: LIVENESS, tableCacheMs: 20 });
    for (let i = 0; i < 10; i++)
      expect([a.instanceId, b.instanceId]).toContain(await whoami(dispatcher));

    a.process.kill('SIGSTOP');
    const seen: InstanceView[] = [];
    await eventually(async () => {
      const table = await dispatcher.table();
      const viewA = table.instances.find((i) => i.instanceId === a.instanceId);
      if (viewA) seen.push(viewA);
      return viewA?.liveness === 'Unhealthy' ? true : undefined;
    });
    for (const view of seen) {
      let expected = 'Healthy';
      if (view.silentForMs >= LIVENESS.degradedAfterMs) expected = 'Degraded';
      if (view.silentForMs >= LIVENESS.unhealthyAfterMs) expected = 'Unhealthy';
      expect(view.liveness, `after ${view.silentForMs} ms of silence`).toBe(expected);
    }
    for (let i = 0; i < 20; i++) expect(await whoami(dispatcher)).toBe(b.instanceId);

    b.process.kill('SIGSTOP');
    await eventually(async () =>
      (await dispatcher.table()).instances.every((i) => i.liveness === 'Unhealthy')
        ? true
        : undefined,
    );
    expect(await whoami(dispatcher)).toBe(503);
  });

  it('a draining instance finishes its requests but gets no new ones', async () => {
    const prefix = uniquePrefix();
    transport = adapter.create({ prefix });
    const dispatcher = new Dispatcher(transport, {
      registry: LIVENESS,
      tableCacheMs: 20,
      timeoutMs: 20_000,
    });
    const a = await child(prefix);
    // The held request outlives the expiry threshold, so a draining instance that stopped
    // heartbeating would be evicted before it finished.
    const slow = dispatcher.dispatch(new Request('http://gateway.test/hold'));
    await a.next('started');
    const b = await child(prefix);
    a.process.kill('SIGTERM');
    await eventually(async () => {
      const view = (await dispatcher.table()).instances.find((i) => i.instanceId === a.instanceId);
      return view?.liveness === 'Draining' ? true : undefined;
    });
    for (let i = 0; i < 10; i++) expect(await whoami(dispatcher)).toBe(b.instanceId);
    await new Promise((resolve) => setTimeout(resolve, LIVENESS.expireAfterMs));
    const during = (await dispatcher.table()).instances.find((i) => i.instanceId === a.instanceId);
    expect(during?.liveness).toBe('Draining');
    expect(during?.inFlight).toBe(1);

    a.process.kill('SIGUSR2');
    const response = await slow;
    expect(response.status).toBe(200);
    expect((await response.json()).instanceId).toBe(a.instanceId);
    expect(await a.exited).toBe(0);
    const ids = (await transport.registry().table()).instances.map((i) => i.instanceId);
    expect(ids).toEqual([b.instanceId]);
  });

  it('a late reply leaves nothing behind', async () => {
    transport = adapter.create();
    const ran = new Map<string, number>();
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    const instance = await serve({
      transport,
      service: 'late',
      version: '1.0.0',
      concurrency: 1,
      pollMs: 100,
      signals: [],
      routes: {
        'GET /work/:name': async (_request, { name }) => {
          ran.set(name!, (ran.get(name!) ?? 0) + 1);
          if (name === 'slow') await released;
          return new Response(name);
        },
      },
    });
    instances.push(instance);
    const dispatcher = new Dispatcher(transport, { timeoutMs: 300 });
    const slow = dispatcher.dispatch(new Request('http://gateway.test/work/slow'));
    await eventually(async () => (ran.get('slow') ? true : undefined));
    // The only slot is busy, so this frame waits in the queue past its deadline.
    const queued = await dispatcher.dispatch(new Request('http://gateway.test/work/queued'));
    expect(queued.status).toBe(504);
    expect((await slow).status).toBe(504);

    release();
    const stream = `${transport.prefix}:{q:gw:late:1.0.0}:stream`;
    await eventually(async () =>
      instance.inFlight === 0 && (await transport.executor.send(['XLEN', stream])) === 0
        ? true
        : undefined,
    );
    expect(ran.get('slow')).toBe(1);
    expect(ran.get('queued')).toBeUndefined();
    expect(await replyKeysLeft(transport)).toEqual([]);
  });

  it('an unread reply expires', async () => {
    transport = adapter.create();
    const instance = await serve({
      transport,
      service: 'unread',
      version: '1.0.0',
      pollMs: 100,
      signals: [],
      routes: { 'GET /x': () => new Response('x') },
    });
    instances.push(instance);
    // A frame whose gateway went away, so no BLPOP ever takes the reply.
    const [serverSeconds] = (await transport.executor.send(['TIME'])) as [string];
    const frame: RequestFrame = {
      correlationId: 'abandoned',
      method: 'GET',
      path: '/x',
      query: '',
      headers: [],
      body: null,
      deadline: Number(serverSeconds) * 1000 + 2000,
    };
    await transport.queue<RequestFrame>('gw:unread:1.0.0').enqueue(frame);
    const key = `${transport.prefix}:{q:gw:unread:1.0.0}:reply:abandoned`;
    const ttl = await eventually(async () => {
      const pttl = Number(await transport.executor.send(['PTTL', key]));
      return pttl > 0 ? pttl : undefined;
    });
    // The reply lives until the deadline plus a grace period, then expires.
    expect(ttl).toBeLessThanOrEqual(2000 + 5000);
  });
});
