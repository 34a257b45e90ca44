// 1,000 concurrent operations over each adapter: every call settles, and the number of
// connections that CLIENT LIST reports stays within the shared connection plus the blocking cap.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient } from '@redis/client';
import {
  ConnectionError,
  ConnectionFactory,
  HttpExecutor,
  TcpExecutor,
  type CommandExecutor,
  type RunningProxy,
} from '../src/node/index.js';
import { startValkey, type ValkeyServer } from '../scripts/lib/valkey-server.js';
import { ownProxy, OWN_TOKEN } from './fixtures/proxy-helpers.js';

const BLOCKING_CAP = 4;
const OPERATIONS = 1000;
const BLOCKING_EVERY = 20; // one blocking read in 20 operations: 50 of them

let valkey: ValkeyServer;
let proxy: RunningProxy;
const observer = () => createClient({ url: valkey.url, RESP: 2 });
let sampler: ReturnType<typeof observer>;

beforeAll(async () => {
  valkey = await startValkey();
  proxy = await ownProxy(valkey.url, { maxBlockingConnections: BLOCKING_CAP });
  sampler = observer();
  sampler.on('error', () => {});
  await sampler.connect();
});

afterAll(async () => {
  sampler.destroy();
  await proxy.close();
  await valkey.dispose();
});

/** Connections other than the sampler's own. */
async function connectionCount(): Promise<number> {
  const list = String(await sampler.sendCommand(['CLIENT', 'LIST']));
  return list.trim().split('\n').length - 1;
}

/** Runs `work` while sampling the connection count every 10 ms; returns the highest seen. */
async function peakConnectionsDuring(work: () => Promise<void>): Promise<number> {
  let peak = 0;
  let running = true;
  const sampling = (async () => {
    while (running) {
      peak = Math.max(peak, await connectionCount());
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();
  try {
    await work();
  } finally {
    running = false;
    await sampling;
  }
  return peak;
}

function operation(executor: CommandExecutor, i: number): Promise<unknown> {
  const key = `conn:${i % 50}`;
  if (i % BLOCKING_EVERY === 0) {
    return executor.send(['BLPOP', `conn:list:${i}`, '0.1'], { blockMs: 100 });
  }
  switch (i % 4) {
    case 0:
      return executor.send(['INCR', key]);
    case 1:
      return executor.send(['SET', `${key}:s`, String(i)]);
    case 2:
      return executor.pipeline([['GET', `${key}:s`], ['PING']]);
    default:
      return executor.transaction([
        ['INCR', key],
        ['GET', key],
      ]);
  }
}

async function runAll(executor: CommandExecutor): Promise<PromiseSettledResult<unknown>[]> {
  return Promise.allSettled(Array.from({ length: OPERATIONS }, (_, i) => operation(executor, i)));
}

describe('connection limits', () => {
  it('keeps TCP connections within the cap', async () => {
    const factory = new ConnectionFactory();
    // 150 blocking reads of 100 ms queue for 4 connections: about 4 s, within the timeout.
    const executors = Array.from(
      { length: 3 },
      () =>
        new TcpExecutor({
          url: valkey.url,
          factory,
          maxBlockingConnections: BLOCKING_CAP,
          timeoutMs: 20_000,
        }),
    );
    const before = await connectionCount();
    let results: PromiseSettledResult<unknown>[] = [];
    const peak = await peakConnectionsDuring(async () => {
      const perExecutor = await Promise.all(executors.map((e) => runAll(e)));
      results = perExecutor.flat();
    });
    await Promise.all(executors.map((e) => e.close()));

    expect(results).toHaveLength(OPERATIONS * executors.length);
    const rejected = results.filter((r) => r.status === 'rejected');
    expect(rejected).toEqual([]);
    // Three executors on one factory share one connection and one blocking pool.
    expect(peak - before).toBeLessThanOrEqual(1 + BLOCKING_CAP);
    expect(peak - before).toBeGreaterThanOrEqual(2);
  });

  it('keeps HTTP connections within the proxy cap', async () => {
    const executor = new HttpExecutor({ url: proxy.url, token: OWN_TOKEN, timeoutMs: 20_000 });
    const before = await connectionCount();
    let results: PromiseSettledResult<unknown>[] = [];
    const peak = await peakConnectionsDuring(async () => {
      results = await runAll(executor);
    });
    await executor.close();

    expect(results).toHaveLength(OPERATIONS);
    results.forEach((result, i) => {
      if (result.status === 'fulfilled') return;
      // Only blocking reads may be turned away, and only with 503 when the proxy's pool is full.
      expect(i % BLOCKING_EVERY).toBe(0);
      expect(result.reason).toBeInstanceOf(ConnectionError);
      expect((result.reason as ConnectionError).status).toBe(503);
    });
    // The proxy opened its shared connection before the run; only blocking ones may be added.
    expect(peak).toBeLessThanOrEqual(before + BLOCKING_CAP);
  });
});
