// The rest of the protocol against the shared proxy: the path form, the sync token, RESP2 reply
// shapes, subscriptions as server-sent events, and /healthz.
import { connect } from 'node:net';
import { createClient } from '@redis/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { call, caller } from './fixtures/proxy-helpers.js';
import { uniquePrefix } from './support/adapters.js';

// The proxy that runs any script: the reply-shape checks build replies with EVAL.
const url = inject('anyScriptProxyUrl');
const token = inject('proxyToken');
const plain = caller(url, token, false);
const auth = { authorization: `Bearer ${token}` };
let p: string;
const key = (name: string) => `${p}:${name}`;
beforeAll(() => {
  p = uniquePrefix();
});

describe('path form', () => {
  it('runs GET /cmd/arg/... with percent-decoded segments', async () => {
    const k = key('path key/ü');
    const set = await call(`${url}/set/${encodeURIComponent(k)}/a%2Bb+c`, { headers: auth });
    expect(set.json).toEqual({ result: 'OK' });
    expect((await plain.post('/', ['GET', k])).json).toEqual({ result: 'a+b+c' });
    const lower = await call(`${url}/Get/${encodeURIComponent(k)}`, { headers: auth });
    expect(lower.json).toEqual({ result: 'a+b+c' });
  });

  it('keeps percent-encoded endpoint names to their endpoint', async () => {
    // A pipeline keeps the arity error in place, where a transaction would be discarded (400).
    const pipeline = await plain.post('/%70ipeline', [['PING'], ['GET']]);
    expect(pipeline.status).toBe(200);
    expect(pipeline.json[0]).toEqual({ result: 'PONG' });
    expect(pipeline.json[1].error).toMatch(/wrong number of arguments/);
    const transaction = await plain.post('/multi%2Dexec', [['PING'], ['GET']]);
    expect(transaction.status).toBe(400);
    expect(transaction.json.error).toMatch(/^EXECABORT/);
  });

  it('appends a raw body, then query pairs, and leaves _token out', async () => {
    const k = key('body');
    const set = await call(`${url}/set/${k}?EX=100&_token=${token}`, {
      method: 'POST',
      body: '{"raw": "json value"}',
    });
    expect(set.json).toEqual({ result: 'OK' });
    expect((await plain.post('/', ['GET', k])).json).toEqual({ result: '{"raw": "json value"}' });
    const ttl = (await plain.post('/', ['TTL', k])).json.result;
    expect(ttl).toBeGreaterThan(90);
    const flag = await call(`${url}/set/${k}/other?NX`, { headers: auth });
    expect(flag.json).toEqual({ result: null });
  });

  it('keeps server errors verbatim with 400', async () => {
    const answer = await call(`${url}/incr/${key('body')}/extra`, { headers: auth });
    expect(answer.status).toBe(400);
    expect(answer.json.error).toBe("ERR wrong number of arguments for 'incr' command");
  });

  it('rejects broken percent-encoding with 400', async () => {
    const answer = await call(`${url}/get/%E0%A4%A`, { headers: auth });
    expect(answer.status).toBe(400);
    expect(answer.json.error).toMatch(/path segment 2 is not valid percent-encoded UTF-8/);
  });
});

describe('sync token and headers', () => {
  it('sends a new Upstash-Sync-Token on every 2xx response, none on errors', async () => {
    const tokens = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const answer = await plain.post('/pipeline', [['PING']]);
      tokens.add(answer.headers.get('upstash-sync-token')!);
    }
    expect(tokens.size).toBe(5);
    expect([...tokens].every((t) => t.length > 0)).toBe(true);
    const error = await plain.post('/', ['INCR']);
    expect(error.headers.get('upstash-sync-token')).toBeNull();
    expect(error.headers.get('x-request-id')).toMatch(/^[0-9a-f]{6}-/);
  });

  it('sends no CORS headers unless origins are configured', async () => {
    const answer = await plain.post('/', ['PING'], { origin: 'https://example.com' });
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await call(url, {
      method: 'OPTIONS',
      headers: { origin: 'https://example.com' },
    });
    expect(preflight.status).toBe(405);
  });
});

describe('RESP2 reply shapes', () => {
  it('keeps flat arrays, integers, nulls and numeric strings', async () => {
    const h = key('hash');
    const answer = await plain.post('/pipeline', [
      ['HSET', h, 'a', '1', 'b', '2.5'],
      ['HGETALL', h],
      ['ZADD', key('z'), '1.5', 'm'],
      ['ZSCORE', key('z'), 'm'],
      ['ZRANGE', key('z'), '0', '-1', 'WITHSCORES'],
      ['EXISTS', h, key('none')],
      ['HGET', h, 'none'],
      ['EVAL', 'return {1, "two", {3, false}}', '0'],
    ]);
    expect(answer.json).toEqual([
      { result: 2 },
      { result: ['a', '1', 'b', '2.5'] },
      { result: 1 },
      { result: '1.5' },
      { result: ['m', '1.5'] },
      { result: 1 },
      { result: null },
      { result: [1, 'two', [3, null]] },
    ]);
  });
});

describe('subscriptions as server-sent events', () => {
  const direct = createClient({ url: inject('valkeyUrl'), RESP: 2 });
  beforeAll(() => direct.connect());
  afterAll(() => direct.destroy());
  const numsub = async (channel: string) =>
    Number(((await direct.sendCommand(['PUBSUB', 'NUMSUB', channel])) as unknown[])[1]);

  it('streams subscribe and message lines, then releases the channel when the client leaves', async () => {
    const channel = key('news');
    const controller = new AbortController();
    const response = await fetch(`${url}/subscribe/${encodeURIComponent(channel)}`, {
      method: 'POST',
      headers: { ...auth, accept: 'text/event-stream', 'upstash-encoding': 'base64' },
      body: '[]',
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/event-stream');
    const events = lines(response.body!);
    expect(await events.next()).toBe(`data: subscribe,${channel},1`);
    expect(await numsub(channel)).toBe(1);
    await direct.publish(channel, 'hello, world');
    expect(await events.next()).toBe(`data: message,${channel},hello, world`);
    await direct.publish(channel, 'two\nlines');
    expect(await events.next()).toBe(`data: message,${channel},two`);
    expect(await events.next()).toBe('data: lines');
    controller.abort();
    await expect.poll(() => numsub(channel)).toBe(0);
  });

  it('streams pattern messages with their channel', async () => {
    const controller = new AbortController();
    const pattern = `${key('room')}:*`;
    const response = await fetch(`${url}/psubscribe/${encodeURIComponent(pattern)}`, {
      headers: auth,
      signal: controller.signal,
    });
    const events = lines(response.body!);
    expect(await events.next()).toBe(`data: psubscribe,${pattern},1`);
    await direct.publish(`${key('room')}:1`, '{"n":1}');
    expect(await events.next()).toBe(`data: pmessage,${pattern},${key('room')}:1,{"n":1}`);
    controller.abort();
    await expect.poll(async () => Number(await direct.sendCommand(['PUBSUB', 'NUMPAT']))).toBe(0);
  });

  it('ends the stream of a client that stops reading', async () => {
    const channel = key('firehose');
    const target = new URL(`${url}/subscribe/${encodeURIComponent(channel)}`);
    // A raw socket that sends the request and then never reads, so the proxy's writes back up.
    const socket = connect(Number(target.port), target.hostname);
    socket.pause();
    socket.write(
      `GET ${target.pathname} HTTP/1.1\r\nHost: ${target.host}\r\nAuthorization: Bearer ${token}\r\n\r\n`,
    );
    try {
      await expect.poll(() => numsub(channel)).toBe(1);
      // 32 MiB: more than the kernel's socket buffers plus the 1 MiB the proxy keeps unread.
      const chunk = 'x'.repeat(256 * 1024);
      for (let i = 0; i < 128 && (await numsub(channel)) > 0; i++) {
        await direct.publish(channel, chunk);
      }
      await expect.poll(() => numsub(channel), { timeout: 5000 }).toBe(0);
    } finally {
      socket.destroy();
    }
  });

  it('needs a token and a channel name', async () => {
    expect((await call(`${url}/subscribe/x`, { method: 'POST', body: '[]' })).status).toBe(401);
    expect((await call(`${url}/subscribe/`, { headers: auth })).status).toBe(400);
  });
});

describe('/healthz', () => {
  it('reports the backend reachable, without a token', async () => {
    const answer = await call(`${url}/healthz`, {});
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ status: 'ok', backend: 'reachable' });
  });
});

/** Reads a stream line by line, skipping blank lines and SSE comments. */
function lines(body: ReadableStream<Uint8Array>) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const queue: string[] = [];
  return {
    async next(): Promise<string> {
      while (queue.length === 0) {
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        buffer += decoder.decode(value, { stream: true });
        const parts = buffer.split('\n');
        buffer = parts.pop()!;
        queue.push(...parts.filter((line) => line !== '' && !line.startsWith(':')));
      }
      return queue.shift()!;
    },
  };
}
