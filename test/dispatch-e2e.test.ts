// The walking skeleton end to end: the real worker in workerd dispatches through the real proxy
// to a real service that consumes its queue over TCP.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  createTransport,
  serve,
  type ServiceInstance,
  type ValkeyTransport,
} from '../src/node/index.js';
import { startWorker, type RunningWorker } from '../scripts/lib/worker.js';
import { uniquePrefix } from './support/adapters.js';

const prefix = uniquePrefix();
let worker: RunningWorker;
let service: ServiceInstance;
let transport: ValkeyTransport;

beforeAll(async () => {
  transport = createTransport({ url: inject('valkeyUrl'), prefix }) as ValkeyTransport;
  service = await serve({
    transport,
    service: 'echo',
    version: '1.0.0',
    routes: {
      'GET /items/:id': (request, { id }) =>
        Response.json({ id, query: new URL(request.url).searchParams.get('q') }),
      'POST /items': async (request) =>
        new Response(await request.arrayBuffer(), {
          status: 201,
          headers: { 'content-type': request.headers.get('content-type') ?? 'none' },
        }),
    },
  });
  worker = await startWorker({
    VALKEY_REST_URL: inject('proxyUrl'),
    VALKEY_REST_TOKEN: inject('proxyToken'),
    KEY_PREFIX: prefix,
    DISPATCH_TIMEOUT_MS: '5000',
  });
});

afterAll(async () => {
  await worker?.dispose();
  await service?.stop();
  await transport?.close();
});

describe('dispatch through the worker', () => {
  it('routes a GET with parameters', async () => {
    const response = await fetch(`${worker.url}/items/42?q=tea`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ id: '42', query: 'tea' });
  });

  it('keeps POST body bytes intact', async () => {
    const body = new Uint8Array([0, 255, 1, 254, 10, 13]);
    const response = await fetch(`${worker.url}/items`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body,
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('content-type')).toBe('application/octet-stream');
    expect([...new Uint8Array(await response.arrayBuffer())]).toEqual([...body]);
  });

  it('returns 503 for unserved routes', async () => {
    const response = await fetch(`${worker.url}/nobody/here`);
    expect(response.status).toBe(503);
    expect((await response.json()).error).toBe('No live service instance serves GET /nobody/here.');
  });

  it('keeps the routing table off without SERVICES_TOKEN', async () => {
    const response = await fetch(`${worker.url}/services`);
    expect(response.status).toBe(404);
    expect((await response.json()).error).toMatch(/set the SERVICES_TOKEN secret/);
  });
});
