// An instance killed with SIGKILL mid-request: the request gets exactly one response, from a
// retry on another instance or a 504, and never a second reply.
import { afterEach, describe, expect, it } from 'vitest';
import {
  Dispatcher,
  serve,
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

describe.each(adapters)('killed instance over $name', (adapter) => {
  let transport: ValkeyTransport;
  let victim: ChildService | undefined;
  let survivor: ServiceInstance | undefined;
  afterEach(async () => {
    await killChild(victim);
    await survivor?.stop();
    await transport.close();
  });

  /** Stops the instance running `path` with `signal`, then starts another that counts its runs. */
  async function killMidRequest(
    leaseMs: number,
    timeoutMs: number,
    path: string,
    signal: 'SIGKILL' | 'SIGSTOP' = 'SIGKILL',
  ) {
    const prefix = uniquePrefix();
    transport = adapter.create({ prefix });
    victim = await startChildService(adapter.name, {
      SERVICE: 'kill',
      KEY_PREFIX: prefix,
      LEASE_MS: String(leaseMs),
      POLL_MS: '100',
    });
    const dispatcher = new Dispatcher(transport, { timeoutMs });
    const pending = dispatcher.dispatch(new Request(`http://gateway.test${path}`));
    await victim.next('started');
    victim.process.kill(signal);
    if (signal === 'SIGKILL') await victim.exited;
    const runs: string[] = [];
    survivor = await serve({
      transport,
      service: 'kill',
      version: '1.0.0',
      leaseMs,
      pollMs: 100,
      signals: [],
      routes: {
        'GET /slow/:ms': (request) => {
          runs.push(new URL(request.url).pathname);
          return Response.json({ instanceId: survivor?.instanceId ?? 'survivor' });
        },
      },
    });
    const response = await pending;
    const stream = `${prefix}:{q:gw:kill:1.0.0}:stream`;
    await eventually(async () =>
      survivor!.inFlight === 0 && (await transport.executor.send(['XLEN', stream])) === 0
        ? true
        : undefined,
    );
    return { response, runs, victimId: victim.instanceId };
  }

  it('fences out a stalled instance that wakes after the retry', async () => {
    const { response, runs, victimId } = await killMidRequest(600, 8000, '/slow/300', 'SIGSTOP');
    expect(response.status).toBe(200);
    expect((await response.json()).instanceId).not.toBe(victimId);
    expect(runs).toEqual(['/slow/300']);
    victim!.process.kill('SIGCONT');
    await victim!.next('finished');
    // Its renewal or its reply finds the lease taken over; it writes nothing.
    expect(await victim!.next('error')).toEqual({ error: 'LeaseLostError' });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await replyKeysLeft(transport)).toEqual([]);
  });

  it('retries the request on another instance once the lease expires', async () => {
    const { response, runs, victimId } = await killMidRequest(600, 8000, '/slow/5000');
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.instanceId).toBe(survivor!.instanceId);
    expect(body.instanceId).not.toBe(victimId);
    expect(runs).toEqual(['/slow/5000']);
    expect(await replyKeysLeft(transport)).toEqual([]);
  });

  it('answers 504 when the lease outlives the deadline, and never runs it late', async () => {
    const { response, runs } = await killMidRequest(2500, 800, '/slow/5000');
    expect(response.status).toBe(504);
    // The retry found the deadline passed and dropped the frame without running the handler.
    expect(runs).toEqual([]);
    expect(await replyKeysLeft(transport)).toEqual([]);
  });
});
