// The REST proxy as clients meet it: @upstash/redis with its default options, and the errors
// that bad requests get.
import { Redis } from '@upstash/redis';
import { describe, expect, inject, it } from 'vitest';
import { uniquePrefix } from './support/adapters.js';

const url = inject('proxyUrl');
const token = inject('proxyToken');

describe('@upstash/redis against the proxy', () => {
  const redis = new Redis({ url, token });
  const key = (name: string) => `${uniquePrefix()}:${name}`;

  it('sets and gets', async () => {
    const k = key('greeting');
    expect(await redis.set(k, 'hello')).toBe('OK');
    expect(await redis.get(k)).toBe('hello');
    expect(await redis.get(key('missing'))).toBeNull();
  });

  it('round-trips JSON values and unicode', async () => {
    const k = key('json');
    await redis.set(k, { name: 'Zoë 🫶', n: 3 });
    expect(await redis.get(k)).toEqual({ name: 'Zoë 🫶', n: 3 });
  });

  it('runs a pipeline', async () => {
    const k = key('counter');
    const results = await redis.pipeline().set(k, 1).incr(k).get(k).exec();
    expect(results).toEqual(['OK', 2, 2]);
  });

  it('runs a multi-exec transaction', async () => {
    const k = key('tx');
    const results = await redis.multi().set(k, 'a').append(k, 'b').get(k).exec();
    expect(results).toEqual(['OK', 2, 'ab']);
  });
});

describe('proxy bad input', () => {
  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(url + path, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
      body,
    });

  it('returns JSON 404 for unknown routes', async () => {
    const response = await fetch(`${url}/no/such/route/at/all`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect((await response.json()).error).toMatch(
      /No such endpoint: GET \/no\/such\/route\/at\/all/,
    );
  });

  it('returns JSON 400 for malformed JSON', async () => {
    const response = await post('/', 'not json');
    expect(response.status).toBe(400);
    expect((await response.json()).error).toMatch(/not valid JSON/);
  });

  it.each([
    ['{}', /must be a non-empty array/],
    ['[]', /must be a non-empty array/],
    ['[["GET","a"]]', /item 0: \["GET","a"\] is not a string/],
    ['["SET","k",null]', /item 2: null is not a string, number or boolean/],
  ])('returns JSON 400 for body %s', async (body, message) => {
    const response = await post('/', body);
    expect(response.status).toBe(400);
    expect((await response.json()).error).toMatch(message);
  });

  it('rejects a non-JSON content type', async () => {
    const response = await post('/', '["PING"]', { 'content-type': 'text/plain' });
    expect(response.status).toBe(400);
    expect((await response.json()).error).toMatch(/Content-Type "text\/plain" is not supported/);
  });

  it('accepts JSON with a charset', async () => {
    const response = await post('/', '["PING"]', {
      'content-type': 'application/json; charset=utf-8',
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ result: 'PONG' });
  });

  it.each([
    ['a wrong token', { authorization: 'Bearer wrong-token' }],
    ['no token', {}],
  ])('returns JSON 401 for %s', async (_label, headers) => {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'upstash-encoding': 'base64', ...headers },
      body: '["PING"]',
    });
    expect(response.status).toBe(401);
    const body = await response.json();
    expect(body.error).toMatch(/^Unauthorized/);
  });

  it('returns JSON 403 for FLUSHALL', async () => {
    const response = await post('/', '["flushall"]');
    expect(response.status).toBe(403);
    expect((await response.json()).error).toMatch(/FLUSHALL is denied/);
  });
});
