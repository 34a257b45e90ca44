// Idempotency-Key through the gateway worker in workerd, the REST proxy and Valkey.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { serve, type ServiceInstance, type ValkeyTransport } from '../src/node/index.js';
import { startWorker, type RunningWorker } from '../scripts/lib/worker.js';
import { adapters, uniquePrefix } from './support/adapters.js';

const tcp = adapters.find((a) => a.name === 'tcp')!;

/** Every byte value, so a replay that loses or re-encodes a byte shows. */
const BYTES = new Uint8Array(512).map((_, i) => (i * 131) % 256);

describe('Idempotency-Key through the worker in workerd', () => {
  const prefix = uniquePrefix();
  let transport: ValkeyTransport;
  let worker: RunningWorker;
  let instance: ServiceInstance;
  const runs = new Map<string, number>();
  const gates = new Map<string, () => void>();

  function count(name: string): number {
    const n = (runs.get(name) ?? 0) + 1;
    runs.set(name, n);
    return n;
  }

  beforeAll(async () => {
    transport = tcp.create({ prefix });
    instance = await serve({
      transport,
      service: 'orders',
      version: '1.0.0',
      concurrency: 16,
      signals: [],
      routes: {
        'POST /orders/:name': async (request, { name }) => {
          const run = count(name!);
          const body = new Uint8Array(await request.arrayBuffer());
          const headers = new Headers({
            'content-type': 'application/octet-stream',
            'x-run': String(run),
            'x-key-seen': request.headers.get('idempotency-key') ?? '',
          });
          headers.append('set-cookie', 'a=1');
          headers.append('set-cookie', 'b=2');
          return new Response(body, { status: 201, headers });
        },
        'PUT /gated/:name': async (_request, { name }) => {
          const run = count(name!);
          await new Promise<void>((resolve) => gates.set(name!, resolve));
          return Response.json({ run });
        },
        'PATCH /flaky/:name': (_request, { name }) => {
          const run = count(name!);
          return run === 1 ? new Response('down', { status: 503 }) : Response.json({ run });
        },
        'DELETE /slow/:name': async (_request, { name }) => {
          const run = count(name!);
          // The first run outlasts the gateway's deadline; the retry answers at once.
          if (run === 1) await new Promise((resolve) => setTimeout(resolve, 2500));
          return Response.json({ run });
        },
        'GET /orders/:name': (_request, { name }) => Response.json({ run: count(name!) }),
      },
    });
    worker = await startWorker({
      VALKEY_REST_URL: inject('proxyUrl'),
      VALKEY_REST_TOKEN: inject('proxyToken'),
      KEY_PREFIX: prefix,
      DISPATCH_TIMEOUT_MS: '1500',
    });
  });

  afterAll(async () => {
    for (const open of gates.values()) open();
    await worker?.dispose();
    await instance?.stop();
    await transport?.close();
  });

  const send = (method: string, path: string, key: string, body?: BodyInit) =>
    fetch(`${worker.url}${path}`, { method, body, headers: { 'idempotency-key': key } });

  it('replays stored response byte for byte', async () => {
    const key = crypto.randomUUID();
    const first = await send('POST', '/orders/replay', key, BYTES);
    expect(first.status).toBe(201);
    expect(new Uint8Array(await first.arrayBuffer())).toEqual(BYTES);
    expect(first.headers.get('x-key-seen')).toBe(key);
    expect(first.headers.has('idempotent-replayed')).toBe(false);

    for (let i = 0; i < 3; i++) {
      const again = await send('POST', '/orders/replay', key, BYTES);
      expect(again.status).toBe(201);
      expect(new Uint8Array(await again.arrayBuffer())).toEqual(BYTES);
      expect(again.headers.get('x-run')).toBe('1');
      expect(again.headers.get('content-type')).toBe('application/octet-stream');
      expect(again.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
    }
    expect(runs.get('replay')).toBe(1);

    // Another key is another request.
    const other = await send('POST', '/orders/replay', crypto.randomUUID(), BYTES);
    expect(other.headers.get('x-run')).toBe('2');
  });

  it('rejects reused key with 422', async () => {
    const key = crypto.randomUUID();
    expect((await send('POST', '/orders/mismatch', key, 'one')).status).toBe(201);
    const otherBody = await send('POST', '/orders/mismatch', key, 'two');
    expect(otherBody.status).toBe(422);
    expect((await otherBody.json()).error).toMatch(/another method, path or body/);
    expect((await send('POST', '/orders/elsewhere', key, 'one')).status).toBe(422);
    expect((await send('POST', '/orders/mismatch?x=1', key, 'one')).status).toBe(422);
    expect(runs.get('mismatch')).toBe(1);
    expect(runs.get('elsewhere')).toBeUndefined();
  });

  it('rejects concurrent repeat with 409', async () => {
    const key = crypto.randomUUID();
    const first = send('PUT', '/gated/busy', key, 'x');
    await expect.poll(() => gates.has('busy'), { timeout: 5000 }).toBe(true);
    const repeats = await Promise.all(
      Array.from({ length: 5 }, () => send('PUT', '/gated/busy', key, 'x')),
    );
    for (const repeat of repeats) {
      expect(repeat.status).toBe(409);
      expect(Number(repeat.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    // A concurrent repeat with another body is still a mismatch, not a wait.
    expect((await send('PUT', '/gated/busy', key, 'y')).status).toBe(422);
    gates.get('busy')!();
    const answered = await first;
    expect(answered.status).toBe(200);
    expect(await answered.json()).toEqual({ run: 1 });
    const replay = await send('PUT', '/gated/busy', key, 'x');
    expect(await replay.json()).toEqual({ run: 1 });
    expect(runs.get('busy')).toBe(1);
  });

  it('releases key after service 5xx', async () => {
    const key = crypto.randomUUID();
    expect((await send('PATCH', '/flaky/f', key, 'x')).status).toBe(503);
    const retry = await send('PATCH', '/flaky/f', key, 'x');
    expect(retry.status).toBe(200);
    expect(await retry.json()).toEqual({ run: 2 });
    expect(await (await send('PATCH', '/flaky/f', key, 'x')).json()).toEqual({ run: 2 });
    expect(runs.get('f')).toBe(2);
  });

  it('releases key after gateway 504', async () => {
    const key = crypto.randomUUID();
    expect((await send('DELETE', '/slow/s', key)).status).toBe(504);
    const retry = await send('DELETE', '/slow/s', key);
    expect(retry.status).toBe(200);
    expect(await retry.json()).toEqual({ run: 2 });
    expect(await (await send('DELETE', '/slow/s', key)).json()).toEqual({ run: 2 });
  });

  it('ignores GET, rejects malformed key', async () => {
    const key = crypto.randomUUID();
    await send('GET', '/orders/reads', key);
    await send('GET', '/orders/reads', key);
    expect(runs.get('reads')).toBe(2);
    const bad = await send('POST', '/orders/bad', 'k'.repeat(256), 'x');
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toMatch(/Idempotency-Key/);
    expect(runs.get('bad')).toBeUndefined();
  });
});
