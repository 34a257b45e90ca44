// Every executor operation, run over TCP and over HTTP through the proxy: both must give the same
// replies and raise the same errors.
import { afterAll, beforeAll, describe, expect, inject, it, onTestFinished } from 'vitest';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { createClient } from '@redis/client';
import {
  ConnectionError,
  InvalidArgumentError,
  Script,
  TcpExecutor,
  ValkeyCommandError,
} from '../src/node/index.js';
import { adapters } from './support/adapters.js';

const direct = createClient({ url: inject('valkeyUrl'), RESP: 2 });

beforeAll(async () => {
  direct.on('error', () => {});
  await direct.connect();
});

afterAll(() => direct.destroy());

describe.each(adapters)('executor over $name', (adapter) => {
  const transport = adapter.create();
  const executor = transport.executor;
  const key = (name: string) => `${transport.prefix}:${name}`;

  afterAll(() => transport.close());

  it('sends a command and normalises reply types', async () => {
    expect(await executor.send(['SET', key('s'), 'value'])).toBe('OK');
    expect(await executor.send(['GET', key('s')])).toBe('value');
    expect(await executor.send(['GET', key('missing')])).toBeNull();
    expect(await executor.send(['INCRBY', key('n'), 5])).toBe(5);
    expect(await executor.send(['PING'])).toBe('PONG');
  });

  it('keeps numeric text as text', async () => {
    await executor.send(['SET', key('num'), '007']);
    expect(await executor.send(['GET', key('num')])).toBe('007');
  });

  it('returns flat RESP2 arrays', async () => {
    await executor.send(['HSET', key('h'), 'a', '1', 'b', '2']);
    const reply = (await executor.send(['HGETALL', key('h')])) as string[];
    expect([...reply].sort()).toEqual(['1', '2', 'a', 'b']);
    await executor.send(['XADD', key('x'), '1-1', 'f', 'v']);
    expect(await executor.send(['XRANGE', key('x'), '-', '+'])).toEqual([['1-1', ['f', 'v']]]);
  });

  it('returns exact bytes when asked', async () => {
    await direct.sendCommand([
      'EVAL',
      "return redis.call('SET', KEYS[1], string.char(255, 254, 0, 1))",
      '1',
      key('bin'),
    ]);
    const bytes = await executor.send(['GET', key('bin')], { bytes: true });
    expect(bytes).toBeInstanceOf(Uint8Array);
    expect([...(bytes as Uint8Array)]).toEqual([255, 254, 0, 1]);
    expect(await executor.send(['GET', key('bin')])).toBe('\uFFFD\uFFFD\u0000\u0001');
  });

  it('round-trips unicode text', async () => {
    await executor.send(['SET', key('u'), 'héllo 🫶 世界']);
    expect(await executor.send(['GET', key('u')])).toBe('héllo 🫶 世界');
  });

  it('raises server errors with their code', async () => {
    await executor.send(['SET', key('str'), 'x']);
    const error = await executor.send(['LPUSH', key('str'), 'y']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValkeyCommandError);
    expect((error as ValkeyCommandError).code).toBe('WRONGTYPE');
    expect((error as Error).message).toMatch(/^WRONGTYPE Operation against a key/);
  });

  it('pipelines with errors in place', async () => {
    await executor.send(['SET', key('p'), 'x']);
    const replies = await executor.pipeline([
      ['SET', key('p1'), 'a'],
      ['LPUSH', key('p'), 'y'],
      ['GET', key('p1')],
    ]);
    expect(replies[0]).toBe('OK');
    expect(replies[1]).toBeInstanceOf(ValkeyCommandError);
    expect((replies[1] as ValkeyCommandError).code).toBe('WRONGTYPE');
    expect(replies[2]).toBe('a');
  });

  it('runs transactions atomically with errors in place', async () => {
    await executor.send(['SET', key('t'), 'x']);
    const replies = await executor.transaction([
      ['SET', key('t1'), 'v'],
      ['LPUSH', key('t'), 'y'],
      ['GET', key('t1')],
    ]);
    expect(replies[0]).toBe('OK');
    expect((replies[1] as ValkeyCommandError).code).toBe('WRONGTYPE');
    expect(replies[2]).toBe('v');
  });

  it('rejects a transaction the server discards', async () => {
    const error = await executor.transaction([['SET', key('only-key')]]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValkeyCommandError);
    expect((error as Error).message).toContain('EXECABORT');
    expect(await executor.send(['EXISTS', key('only-key')])).toBe(0);
  });

  it('batches same-tick commands and settles each', async () => {
    const results = await Promise.allSettled([
      executor.send(['SET', key('b1'), '1']),
      executor.send(['INCR', key('b1')]),
      executor.send(['HGET', key('b1'), 'f']),
      executor.send(['GET', key('b1')]),
    ]);
    expect(results[0]).toEqual({ status: 'fulfilled', value: 'OK' });
    expect(results[1]).toEqual({ status: 'fulfilled', value: 2 });
    expect(results[2].status).toBe('rejected');
    expect((results[2] as PromiseRejectedResult).reason).toBeInstanceOf(ValkeyCommandError);
    expect(results[3]).toEqual({ status: 'fulfilled', value: '2' });
  });

  it('falls back to EVAL after a script flush', async () => {
    // A script of the test's own, so over HTTP it needs the proxy that runs any script.
    const own = adapter.create({ anyScripts: true });
    const executor = own.executor;
    onTestFinished(() => own.close());
    const script = new Script('test echo', `return ARGV[1] .. '-' .. KEYS[1]`);
    expect(await script.run(executor, ['k'], ['a'])).toBe('a-k');
    await direct.sendCommand(['SCRIPT', 'FLUSH']);
    expect(await script.run(executor, ['k'], ['b'])).toBe('b-k');
    await direct.sendCommand(['SCRIPT', 'FLUSH']);
    const many = await script.runMany(executor, [
      { keys: ['k1'], args: ['x'] },
      { keys: ['k2'], args: ['y'] },
    ]);
    expect(many).toEqual(['x-k1', 'y-k2']);
  });

  it('waits in a blocking command', async () => {
    const list = key('blist');
    const started = Date.now();
    const waiting = executor.send(['BLPOP', list, '5'], { blockMs: 5000 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await direct.sendCommand(['RPUSH', list, 'item']);
    expect(await waiting).toEqual([list, 'item']);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await executor.send(['BLPOP', list, '0.05'], { blockMs: 50 })).toBeNull();
  });

  it('rejects arguments JSON cannot carry', async () => {
    await expect(executor.send(['SET', key('bad'), null as unknown as string])).rejects.toThrow(
      InvalidArgumentError,
    );
    await expect(executor.send(['SET', key('bad'), Number.NaN])).rejects.toThrow(
      /argument 2 of SET/,
    );
    await expect(executor.send([])).rejects.toThrow(InvalidArgumentError);
    await expect(executor.pipeline([['GET', {} as unknown as string]])).rejects.toThrow(
      InvalidArgumentError,
    );
  });

  it('rejects calls after close', async () => {
    const other = adapter.create();
    await other.close();
    await expect(other.executor.send(['PING'])).rejects.toBeInstanceOf(ConnectionError);
  });
});

describe('tcp executor timeouts', () => {
  // A server on loopback that accepts connections and never replies, so every call must end by
  // its own timeout.
  const sockets = new Set<Socket>();
  const silent = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
  });

  beforeAll(() => new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve)));
  afterAll(async () => {
    const closed = new Promise<void>((resolve) => silent.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    await closed;
  });

  it('rejects unanswered calls within the timeout', async () => {
    const { port } = silent.address() as AddressInfo;
    const executor = new TcpExecutor({ url: `redis://127.0.0.1:${port}`, timeoutMs: 200 });
    try {
      const started = Date.now();
      const calls = [
        executor.send(['GET', 'a']),
        executor.send(['SET', 'b', 'v'], { bytes: true }),
        executor.send(['GET', 'c'], { timeoutMs: 300 }),
      ];
      const outcomes = await Promise.allSettled(calls);
      for (const outcome of outcomes) {
        expect(outcome.status).toBe('rejected');
        const reason = (outcome as PromiseRejectedResult).reason as unknown;
        // The handshake never completes, so each timeout reports the connection as unreachable.
        expect(reason).toBeInstanceOf(ConnectionError);
        expect((reason as Error).message).toContain(`cannot reach Valkey at 127.0.0.1:${port}`);
      }
      expect(Date.now() - started).toBeLessThan(1500);
    } finally {
      await executor.close();
    }
  });
});
