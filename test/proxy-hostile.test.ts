// Requests a hostile client sends the proxy: a body that trickles in, deeply nested JSON, a
// repeated BLOCK option, many subscriptions opened at once against a small cap, and Lua scripts
// that are not the library's own. The deny list cannot see the commands a script runs.
import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningProxy } from '../src/node/index.js';
import { allScripts, Script } from '../src/script.js';
import { startValkey, type ValkeyServer } from '../scripts/lib/valkey-server.js';
import { caller, memoryLogger, ownProxy, OWN_TOKEN } from './fixtures/proxy-helpers.js';

let valkey: ValkeyServer;
let proxy: RunningProxy;
let h: ReturnType<typeof caller>;
const TIMEOUT_MS = 1000;
const log = memoryLogger('info');
// An application's script, created before the proxy starts in this process.
const appScript = new Script('app dbsize', "return redis.call('DBSIZE')");

beforeAll(async () => {
  valkey = await startValkey();
  proxy = await ownProxy(valkey.url, {
    requestTimeoutMs: TIMEOUT_MS,
    maxBlockMs: 3000,
    maxSubscriptions: 2,
    logger: log.logger,
  });
  h = caller(proxy.url, OWN_TOKEN, false);
});
afterAll(async () => {
  await proxy.close();
  await valkey.dispose();
});

describe('hostile requests', () => {
  it('slow body gets 408 promptly', async () => {
    const { port } = new URL(proxy.url);
    const socket = connect(Number(port), '127.0.0.1');
    const started = Date.now();
    socket.write(
      'POST / HTTP/1.1\r\nHost: x\r\n' +
        `Authorization: Bearer ${OWN_TOKEN}\r\nContent-Type: application/json\r\n` +
        'Content-Length: 1000\r\n\r\n["GE',
    );
    const drip = setInterval(() => socket.write(' '), 100);
    const reply = await new Promise<string>((resolve) => {
      let text = '';
      socket.on('data', (chunk) => (text += String(chunk)));
      socket.on('error', () => resolve(text));
      socket.on('close', () => resolve(text));
      setTimeout(() => resolve(text), 8000);
    });
    clearInterval(drip);
    socket.destroy();
    expect(reply).toMatch(/^HTTP\/1\.1 408/);
    // node:http's default check runs every 30 s; the proxy checks often enough to enforce its timeout.
    expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 1500);
  }, 15_000);

  it('deep nesting gets 400, not 500', async () => {
    const depth = 50_000;
    const answer = await h.post('/', '['.repeat(depth) + ']'.repeat(depth));
    expect(answer.status).toBe(400);
    expect(answer.json.error).toMatch(/is not a string, number or boolean/);
    const pipeline = await h.post('/pipeline', '['.repeat(depth) + ']'.repeat(depth));
    expect(pipeline.status).toBe(400);
  });

  it('XREAD uses the last BLOCK', async () => {
    const answer = await h.post('/', ['XREAD', 'BLOCK', '100', 'BLOCK', '0', 'STREAMS', 's', '$']);
    expect(answer.status).toBe(400);
    expect(answer.json.error).toMatch(/would block forever/);
    const group = ['XREADGROUP', 'GROUP', 'g', 'c', 'BLOCK', '10', 'BLOCK', '9000'];
    const long = await h.post('/', [...group, 'STREAMS', 's', '>']);
    expect(long.status).toBe(400);
    expect(long.json.error).toMatch(/over this proxy's limit of 3000 ms/);
  });

  it('subscription cap holds under concurrency', async () => {
    const controller = new AbortController();
    const opened = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        fetch(`${proxy.url}/subscribe/cap${i}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${OWN_TOKEN}`, accept: 'text/event-stream' },
          signal: controller.signal,
        }).then((response) => response.status),
      ),
    );
    controller.abort();
    expect(opened.filter((status) => status === 200)).toHaveLength(2);
    expect(opened.filter((status) => status === 503)).toHaveLength(4);
  });

  it('client gone mid-body logs no failure', async () => {
    const { port } = new URL(proxy.url);
    for (const path of ['/', '/pipeline', '/set/key']) {
      const socket = connect(Number(port), '127.0.0.1');
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write(
        `POST ${path} HTTP/1.1\r\nHost: x\r\n` +
          `Authorization: Bearer ${OWN_TOKEN}\r\nContent-Type: application/json\r\n` +
          'Content-Length: 1000\r\n\r\n["GE',
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
      socket.destroy();
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
    const failures = log.lines().filter((line) => line.includes('request failed'));
    expect(failures).toEqual([]);
  });
});

describe('scripts outside the library', () => {
  const flush = "return redis.call('FLUSHALL')";

  it('refuses foreign scripts on every endpoint', async () => {
    await h.post('/', ['SET', 'survivor', 'yes']);
    const foreignSha = createHash('sha1').update(flush).digest('hex');
    const attempts = [
      await h.post('/', ['EVAL', flush, '0']),
      await h.post('/', ['eval_ro', 'return 1', '0']),
      await h.post('/', ['EVALSHA', foreignSha, '0']),
      await h.post('/', ['FCALL', 'anything', '0']),
      await h.post('/', ['script', 'load', flush]),
      await h.post('/pipeline', [['PING'], ['Eval', flush, '0']]),
      await h.post('/multi-exec', [['EVAL', flush, '0']]),
      await h.get(`/eval/${encodeURIComponent(flush)}/0`),
    ];
    for (const answer of attempts) {
      expect(answer.status).toBe(403);
      expect(answer.json.error).toMatch(/--scripts any/);
    }
    expect((await h.post('/', ['GET', 'survivor'])).json).toEqual({ result: 'yes' });
  });

  it("rejects an application's own Script", async () => {
    const answer = await h.post('/', ['EVAL', appScript.source, '0']);
    expect(answer.status).toBe(403);
    expect(answer.json.error).toMatch(/not one of the library's/);
  });

  it("runs the library's own scripts by EVAL and EVALSHA", async () => {
    const script = allScripts()[0]!;
    const sha = createHash('sha1').update(script.source).digest('hex');
    // Valkey has not loaded it yet: the proxy lets it through and Valkey answers NOSCRIPT.
    const bySha = await h.post('/', ['EVALSHA', sha, '0']);
    expect(bySha.status).toBe(400);
    expect(bySha.json.error).toMatch(/^NOSCRIPT/);
    // By source it reaches Valkey, which runs it (any reply but the proxy's 403 will do).
    const bySource = await h.post('/', ['EVAL', script.source, '0']);
    expect(bySource.status).not.toBe(403);
  });
});
