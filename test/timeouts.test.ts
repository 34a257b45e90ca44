// Every call settles within its timeout, against servers that never reply or are not there.
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConnectionError,
  ConnectionFactory,
  HttpExecutor,
  TcpExecutor,
  TimeoutError,
} from '../src/node/index.js';
import { freePort } from '../scripts/lib/valkey-server.js';

let silentHttp: Server;
let silentHttpUrl: string;
let silentTcp: TcpServer;
let silentTcpUrl: string;
const sockets = new Set<Socket>();

beforeAll(async () => {
  // Accepts requests and connections and never replies to them.
  silentHttp = createHttpServer(() => {});
  await new Promise<void>((resolve) => silentHttp.listen(0, '127.0.0.1', resolve));
  silentHttpUrl = `http://127.0.0.1:${(silentHttp.address() as { port: number }).port}`;
  silentTcp = createTcpServer((socket) => sockets.add(socket));
  await new Promise<void>((resolve) => silentTcp.listen(0, '127.0.0.1', resolve));
  silentTcpUrl = `redis://127.0.0.1:${(silentTcp.address() as { port: number }).port}`;
});

afterAll(async () => {
  silentHttp.closeAllConnections();
  silentHttp.close();
  for (const socket of sockets) socket.destroy();
  silentTcp.close();
});

describe('HTTP adapter timeouts', () => {
  it('times out against a server that never answers', async () => {
    const executor = new HttpExecutor({ url: silentHttpUrl, token: 'x', timeoutMs: 200 });
    const error = await executor.send(['GET', 'k']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).timeoutMs).toBe(200);
    expect((error as Error).message).toBe('REST request GET timed out after 200 ms');
  });

  it('times out a pipeline and a transaction', async () => {
    const executor = new HttpExecutor({ url: silentHttpUrl, token: 'x', timeoutMs: 150 });
    await expect(executor.pipeline([['GET', 'a']])).rejects.toBeInstanceOf(TimeoutError);
    await expect(executor.transaction([['GET', 'a']])).rejects.toBeInstanceOf(TimeoutError);
  });

  it('rejects with ConnectionError when nothing listens', async () => {
    const port = await freePort();
    const executor = new HttpExecutor({
      url: `http://127.0.0.1:${port}`,
      token: 'x',
      timeoutMs: 2000,
    });
    const error = await executor.send(['SET', 'k', 'v']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as Error).message).toContain(`http://127.0.0.1:${port}`);
  });

  it('aborts a call when its signal fires', async () => {
    const executor = new HttpExecutor({ url: silentHttpUrl, token: 'x', timeoutMs: 5000 });
    const controller = new AbortController();
    const call = executor.send(['GET', 'k'], { signal: controller.signal });
    controller.abort(new Error('caller gave up'));
    await expect(call).rejects.toThrow('caller gave up');
  });
});

describe('TCP adapter timeouts', () => {
  it('times out against a server that never answers', async () => {
    const executor = new TcpExecutor({
      url: silentTcpUrl,
      timeoutMs: 200,
      factory: new ConnectionFactory(),
    });
    const error = await executor.send(['GET', 'k']).catch((e: unknown) => e);
    // The handshake never completes, so the client is not ready and the error reports that it cannot connect.
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as Error).message).toContain('cannot reach Valkey at 127.0.0.1');
    await executor.close();
  });

  it('names the refused connection', async () => {
    const port = await freePort();
    const executor = new TcpExecutor({
      url: `redis://127.0.0.1:${port}`,
      timeoutMs: 300,
      factory: new ConnectionFactory(),
    });
    const error = await executor.send(['GET', 'k']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectionError);
    expect((error as Error).message).toMatch(
      /cannot reach Valkey at 127\.0\.0\.1:\d+ \(.*ECONNREFUSED/,
    );
    const blocking = await executor
      .send(['BLPOP', 'k', '0.1'], { blockMs: 100 })
      .catch((e: unknown) => e);
    expect(blocking).toBeInstanceOf(ConnectionError);
    await executor.close();
  });

  it('rejects an invalid URL', () => {
    expect(() => new TcpExecutor({ url: 'http://127.0.0.1:1' })).toThrow(
      /Use a redis:\/\/, rediss:\/\/, valkey:\/\/ or valkeys:\/\/ URL/,
    );
  });
});
