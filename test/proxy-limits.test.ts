// Settings that need a proxy of their own: blocking commands on a capped pool, request limits,
// a configured deny list and CORS origins.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningProxy } from '../src/node/index.js';
import { startValkey, type ValkeyServer } from '../scripts/lib/valkey-server.js';
import { call, caller, ownProxy, OWN_TOKEN } from './fixtures/proxy-helpers.js';

let valkey: ValkeyServer;
let proxy: RunningProxy;
let h: ReturnType<typeof caller>;
const CAP = 2;

beforeAll(async () => {
  valkey = await startValkey();
  proxy = await ownProxy(valkey.url, {
    maxBlockingConnections: CAP,
    maxBlockMs: 3000,
    maxPipelineCommands: 5,
    maxArgs: 6,
    maxBodyBytes: 1024,
    deny: ['FLUSHALL', 'DEBUG', 'KEYS', 'OBJECT FREQ'],
    allow: ['KEYS'],
    corsOrigins: ['https://app.example'],
  });
  h = caller(proxy.url, OWN_TOKEN, false);
});
afterAll(async () => {
  await proxy.close();
  await valkey.dispose();
});

describe('blocking commands', () => {
  it('runs BLPOP on a dedicated connection and returns what arrives', async () => {
    const waiting = h.post('/', ['BLPOP', 'q1', '2']);
    // The shared connection keeps serving while BLPOP waits; the push ends the wait.
    expect((await h.post('/', ['LPUSH', 'q1', 'job'])).json).toEqual({ result: 1 });
    expect((await waiting).json).toEqual({ result: ['q1', 'job'] });
  });

  it.each([
    [['BLPOP', 'q', '0'], /timeout of 0 would block forever/],
    [['BRPOP', 'q', '5'], /timeout of 5000 ms is over this proxy's limit of 3000 ms/],
    [['BLMPOP', '0.0001', '1', 'q', 'LEFT'], /would block forever/],
    [['XREAD', 'BLOCK', '0', 'STREAMS', 's', '$'], /would block forever/],
    [['BZPOPMIN', 'z', 'soon'], /needs a timeout in seconds/],
  ])('refuses %j with 400', async (command, why) => {
    const answer = await h.post('/', command);
    expect(answer.status).toBe(400);
    expect(answer.json.error).toMatch(why);
  });

  it('reads a key named BLOCK after STREAMS as a key', async () => {
    await h.post('/', ['XADD', 'BLOCK', '1-1', 'f', 'v']);
    const answer = await h.post('/', ['XREAD', 'STREAMS', 'BLOCK', '0']);
    expect(answer.json).toEqual({ result: [['BLOCK', [['1-1', ['f', 'v']]]]] });
  });

  it('answers 503 with Retry-After at once when the pool is full, and keeps serving', async () => {
    const blocked = Array.from({ length: CAP }, (_, i) => h.post('/', ['BLPOP', `idle${i}`, '2']));
    await new Promise((resolve) => setTimeout(resolve, 200));
    const full = await h.post('/', ['BRPOP', 'idle-x', '1']);
    expect(full.status).toBe(503);
    expect(full.headers.get('retry-after')).toBe('1');
    expect(full.json.error).toMatch(/All 2 connections for blocking commands are busy/);
    // Ordinary commands do not queue behind the blocked ones: they answer while both still wait.
    let settled = 0;
    for (const b of blocked) void b.then(() => settled++);
    expect((await h.post('/', ['PING'])).json).toEqual({ result: 'PONG' });
    expect(
      (
        await h.post('/pipeline', [
          ['INCR', 'n'],
          ['GET', 'n'],
        ])
      ).json,
    ).toEqual([{ result: 1 }, { result: '1' }]);
    expect(settled).toBe(0);
    for (const answer of await Promise.all(blocked)) expect(answer.json).toEqual({ result: null });
  });

  it('runs a pipeline with a blocking command in order', async () => {
    const answer = await h.post('/pipeline', [
      ['RPUSH', 'q2', 'a'],
      ['BLPOP', 'q2', '1'],
      ['BLPOP', 'q2', '0.1'],
      ['LLEN', 'q2'],
    ]);
    expect(answer.json).toEqual([
      { result: 1 },
      { result: ['q2', 'a'] },
      { result: null },
      { result: 0 },
    ]);
    const tooLong = await h.post('/pipeline', [
      ['BLPOP', 'q2', '2'],
      ['BLPOP', 'q2', '2'],
    ]);
    expect(tooLong.status).toBe(400);
    expect(tooLong.json.error).toMatch(/4000 ms in total, over this proxy's limit of 3000 ms/);
  });
});

describe('request limits', () => {
  it('caps commands per pipeline and items per command', async () => {
    const six = Array.from({ length: 6 }, () => ['PING']);
    expect((await h.post('/pipeline', six)).json.error).toMatch(/6 commands, over the limit of 5/);
    expect((await h.post('/multi-exec', six)).status).toBe(400);
    const wide = await h.post('/', ['MGET', 'a', 'b', 'c', 'd', 'e', 'f']);
    expect(wide.status).toBe(400);
    expect(wide.json.error).toMatch(/7 items, over the limit of 6 arguments/);
    expect((await call(`${proxy.url}/mget/a/b/c/d/e/f`, { headers: auth() })).status).toBe(400);
  });

  it('answers 413 over a configured body size', async () => {
    const answer = await h.post('/', ['SET', 'k', 'x'.repeat(2000)]);
    expect(answer.status).toBe(413);
    expect(answer.json.error).toMatch(/over the limit of 1024 bytes/);
  });
});

describe('configured deny list and CORS', () => {
  it('denies what is configured, in any case, and allows what is taken off', async () => {
    expect((await h.post('/', ['debug', 'sleep', '0'])).status).toBe(403);
    expect((await h.post('/', ['Object', 'freq', 'k'])).status).toBe(403);
    expect((await h.post('/', ['OBJECT', 'ENCODING', 'k'])).status).toBe(200);
    expect((await h.post('/', ['KEYS', 'nothing:*'])).json).toEqual({ result: [] });
    // Off the default list only when configured: SELECT is not in this proxy's list.
    expect((await h.post('/', ['CLIENT', 'ID'])).status).toBe(200);
  });

  it('answers preflights and adds CORS headers for configured origins only', async () => {
    const preflight = await call(proxy.url, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Upstash-Encoding/);
    const allowed = await h.post('/', ['PING'], { origin: 'https://app.example' });
    expect(allowed.headers.get('access-control-expose-headers')).toBe('Upstash-Sync-Token');
    const foreign = await call(proxy.url, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example' },
    });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  });
});

function auth() {
  return { authorization: `Bearer ${OWN_TOKEN}` };
}
