// Proxy faults that need a Valkey of their own: a backend down and then up without a restart of
// the proxy, NOSCRIPT after a script flush, a Valkey restart under a running proxy, and tokens
// mapped to ACL users that Valkey itself holds to their commands and keys.
import { createClient } from '@redis/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningProxy } from '../src/node/index.js';
import { freePort, startValkey, type ValkeyServer } from '../scripts/lib/valkey-server.js';
import { caller, memoryLogger, ownProxy, OWN_TOKEN } from './fixtures/proxy-helpers.js';

describe('backend down', () => {
  let valkey: ValkeyServer | undefined;
  let proxy: RunningProxy;
  afterAll(async () => {
    await proxy?.close();
    await valkey?.dispose();
  });

  it('answers 503 JSON within the timeout, then recovers when Valkey starts', async () => {
    const port = await freePort();
    const log = memoryLogger('info');
    proxy = await ownProxy(`redis://127.0.0.1:${port}`, {
      requestTimeoutMs: 1500,
      logger: log.logger,
    });
    const h = caller(proxy.url, OWN_TOKEN);
    const started = Date.now();
    const answers = await Promise.all([
      h.post('/', ['PING']),
      h.post('/pipeline', [['PING'], ['GET', 'k']]),
      h.post('/multi-exec', [['INCR', 'k']]),
      h.post('/', ['BLPOP', 'list', '1']),
      h.get('/healthz'),
    ]);
    // The bound asserted is the configured timeout, with room for a loaded machine.
    expect(Date.now() - started).toBeLessThan(1500 + 3000);
    for (const answer of answers) {
      expect(answer.status).toBe(503);
      expect(answer.headers.get('content-type')).toBe('application/json');
      expect(answer.json.error ?? answer.json.status).toBeTruthy();
    }
    expect(answers[0]!.json.error).toMatch(/^Valkey is unavailable: .*cannot reach Valkey/);
    expect(answers[0]!.headers.get('retry-after')).toBe('1');

    valkey = await startValkey({ port });
    await expect
      .poll(async () => (await h.post('/', ['PING'])).status, { timeout: 10_000 })
      .toBe(200);
    expect(
      (
        await h.post('/pipeline', [
          ['SET', 'k', 'v'],
          ['GET', 'k'],
        ])
      ).json,
    ).toEqual([{ result: 'T0s=' }, { result: 'dg==' }]);
    expect((await h.get('/healthz')).json).toEqual({ status: 'ok', backend: 'reachable' });
    const lines = log.lines().join('\n');
    expect(lines).toMatch(/Cannot reach Valkey; retrying/);
    expect(lines).toMatch(/Valkey connection ready/);
  });
});

describe('Valkey restarted under a running proxy', () => {
  let valkey: ValkeyServer;
  let proxy: RunningProxy;
  beforeAll(async () => {
    valkey = await startValkey();
  });
  afterAll(async () => {
    await proxy?.close();
    await valkey.dispose();
  });

  it('answers 503 while it is down and serves again once it is back', async () => {
    const log = memoryLogger('info');
    proxy = await ownProxy(valkey.url, { requestTimeoutMs: 1000, logger: log.logger });
    const h = caller(proxy.url, OWN_TOKEN);
    expect((await h.post('/', ['SET', 'k', 'v'])).status).toBe(200);
    await valkey.stop();
    await expect.poll(async () => (await h.post('/', ['GET', 'k'])).status).toBe(503);
    await valkey.start();
    await expect
      .poll(async () => (await h.post('/', ['PING'])).status, { timeout: 10_000 })
      .toBe(200);
    const lines = log.lines().join('\n');
    expect(lines).toMatch(/Valkey connection lost; retrying/);
    expect(lines).toMatch(/Valkey connection restored/);
  });
});

describe('a Valkey that stops answering', () => {
  let valkey: ValkeyServer;
  let proxy: RunningProxy;
  beforeAll(async () => {
    valkey = await startValkey();
    proxy = await ownProxy(valkey.url, { requestTimeoutMs: 500 });
  });
  afterAll(async () => {
    if (valkey.pid) process.kill(valkey.pid, 'SIGCONT');
    await proxy.close();
    await valkey.dispose();
  });

  it('answers 503 when the request deadline passes, and serves again when it resumes', async () => {
    const h = caller(proxy.url, OWN_TOKEN);
    expect((await h.post('/', ['PING'])).status).toBe(200);
    process.kill(valkey.pid!, 'SIGSTOP');
    const answers = await Promise.all([
      h.post('/', ['GET', 'k']),
      h.post('/pipeline', [['GET', 'k'], ['PING']]),
      h.post('/multi-exec', [['INCR', 'k']]),
    ]);
    for (const answer of answers) {
      expect(answer.status).toBe(503);
      expect(answer.json.error).toMatch(/timed out after 500 ms/);
    }
    process.kill(valkey.pid!, 'SIGCONT');
    await expect.poll(async () => (await h.post('/', ['PING'])).status).toBe(200);
  });
});

describe('NOSCRIPT inside a pipeline', () => {
  let valkey: ValkeyServer;
  let proxy: RunningProxy;
  beforeAll(async () => {
    valkey = await startValkey();
    proxy = await ownProxy(valkey.url, { scripts: 'any' });
  });
  afterAll(async () => {
    await proxy.close();
    await valkey.dispose();
  });

  it('keeps NOSCRIPT text after a flush', async () => {
    const h = caller(proxy.url, OWN_TOKEN);
    const sha = 'e0e1f9fabfc9d4800c877a703b823ac0578ff8db';
    expect((await h.post('/', ['EVAL', 'return 1', '0'])).json).toEqual({ result: 1 });
    const admin = createClient({ url: valkey.url });
    await admin.connect();
    await admin.sendCommand(['SCRIPT', 'FLUSH']);
    admin.destroy();
    const answer = await h.post('/pipeline', [['EVALSHA', sha, '0'], ['PING']]);
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual([
      { error: expect.stringMatching(/^NOSCRIPT /) },
      { result: 'UE9ORw==' },
    ]);
    const alone = await h.post('/', ['evalsha', sha, '0']);
    expect(alone.status).toBe(400);
    expect(alone.json.error).toMatch(/^NOSCRIPT /);
    await h.post('/', ['EVAL', 'return 1', '0']);
    expect((await h.post('/pipeline', [['EVALSHA', sha, '0']])).json).toEqual([{ result: 1 }]);
  });
});

describe('tokens mapped to ACL users', () => {
  let valkey: ValkeyServer;
  let proxy: RunningProxy;
  const app = 'app-token-0123456789abcdef';
  const reader = 'reader-token-0123456789abcd';
  const logs = memoryLogger('debug');

  beforeAll(async () => {
    valkey = await startValkey();
    const admin = createClient({ url: valkey.url });
    await admin.connect();
    await admin.sendCommand([
      'ACL',
      'SETUSER',
      'app',
      'on',
      '>app-secret-pw',
      '~app:*',
      '&app:*',
      '+@all',
    ]);
    await admin.sendCommand([
      'ACL',
      'SETUSER',
      'reader',
      'on',
      '>reader-secret-pw',
      '~*',
      '+@read',
      '+ping',
    ]);
    await admin.sendCommand(['ACL', 'SETUSER', 'default', 'off']);
    admin.destroy();
    proxy = await ownProxy(valkey.url, {
      tokens: [
        { token: app, user: 'app', password: 'app-secret-pw' },
        { token: reader, user: 'reader', password: 'reader-secret-pw', readOnly: true },
      ],
      logger: logs.logger,
    });
  });
  afterAll(async () => {
    await proxy.close();
    await valkey.dispose();
  });

  it('lets Valkey enforce each user key patterns, with its own NOPERM text', async () => {
    const h = caller(proxy.url, app, false);
    expect((await h.post('/', ['SET', 'app:k', 'v'])).json).toEqual({ result: 'OK' });
    const outside = await h.post('/', ['SET', 'other:k', 'v']);
    expect(outside.status).toBe(400);
    expect(outside.json.error).toMatch(/^NOPERM /);
    const inPipeline = await h.post('/pipeline', [
      ['GET', 'app:k'],
      ['GET', 'other:k'],
    ]);
    expect(inPipeline.json).toEqual([{ result: 'v' }, { error: expect.stringMatching(/^NOPERM/) }]);
  });

  it('refuses writes to a read-only token before they reach Valkey', async () => {
    const h = caller(proxy.url, reader, false);
    expect((await h.post('/', ['GET', 'app:k'])).json).toEqual({ result: 'v' });
    expect((await h.get('/mget/app:k/app:none')).json).toEqual({ result: ['v', null] });
    for (const answer of [
      await h.post('/', ['SET', 'app:k', 'w']),
      await h.post('/pipeline', [
        ['GET', 'app:k'],
        ['del', 'app:k'],
      ]),
      await h.post('/multi-exec', [['INCR', 'n']]),
      await h.post('/', ['EVAL', 'return 1', '0']),
      await h.get('/set/app:k/w'),
    ]) {
      expect(answer.status).toBe(403);
      expect(answer.json.error).toMatch(/this token is read-only/);
    }
    expect((await h.post('/', ['GET', 'app:k'])).json).toEqual({ result: 'v' });
  });

  it('logs neither tokens, passwords nor values', async () => {
    const h = caller(proxy.url, app, false);
    await h.post('/', ['SET', 'app:secret-key', 'secret-value-123']);
    await h.post('/', ['FLUSHALL']);
    await caller(proxy.url, 'not-a-token-but-long-enough').post('/', ['GET', 'app:k']);
    await h.get(`/set/app:k/secret-value-456?_token=${app}`);
    const text = logs.lines().join('\n');
    expect(text).toMatch(/proxy started/);
    expect(text).toMatch(/denied command/);
    expect(text).toMatch(/missing or invalid token/);
    for (const secret of [
      app,
      reader,
      'app-secret-pw',
      'reader-secret-pw',
      'secret-value',
      'secret-key',
    ]) {
      expect(text).not.toContain(secret);
    }
  });
});
