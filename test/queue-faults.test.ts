// Blocking leases under faults, on a private Valkey (restarted here) and a private proxy, over
// both adapters: a server restart, a socket destroyed mid-call, two leases waiting at once.
import { createClient } from '@redis/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConnectionError,
  createTransport,
  TimeoutError,
  type RunningProxy,
  type Transport,
} from '../src/node/index.js';
import { DEFAULT_DENY } from '../src/node/proxy/policy.js';
import { startValkey, type ValkeyServer } from '../scripts/lib/valkey-server.js';
import { uniquePrefix } from './support/adapters.js';
import { eventually, queueName, sleep } from './support/queue-helpers.js';
import { startRelay } from './support/tcp-relay.js';
import { ownProxy, OWN_TOKEN } from './fixtures/proxy-helpers.js';

let valkey: ValkeyServer;
let proxy: RunningProxy;

beforeAll(async () => {
  valkey = await startValkey();
  proxy = await ownProxy(valkey.url, {
    // CLIENT LIST through the transport shows which connections block (see the last test).
    deny: DEFAULT_DENY.filter((command) => command !== 'CLIENT'),
  });
});

afterAll(async () => {
  await proxy?.close();
  await valkey?.dispose();
});

interface ClientInfo {
  id: string;
  cmd: string;
  flags: string;
}

function parseClientList(text: string): ClientInfo[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => Object.fromEntries(line.split(' ').map((pair) => pair.split('=', 2))));
}

/** Waits until exactly `count` clients of the private server block in XREADGROUP. */
async function blockedReads(count: number): Promise<void> {
  const client = createClient({ url: valkey.url, RESP: 2 });
  client.on('error', () => {});
  await client.connect();
  try {
    await eventually(
      async () => {
        const list = parseClientList(String(await client.sendCommand(['CLIENT', 'LIST'])));
        return list.filter((c) => c.cmd === 'xreadgroup' && c.flags.includes('b')).length === count;
      },
      10_000,
      `${count} blocked XREADGROUP`,
    );
  } finally {
    client.destroy();
  }
}

const adapterCases = [
  {
    name: 'tcp',
    port: () => valkey.port,
    create: (port: number): Transport =>
      createTransport({ url: `redis://127.0.0.1:${port}`, prefix: uniquePrefix() }),
  },
  {
    name: 'http',
    port: () => proxy.port,
    create: (port: number): Transport =>
      createTransport({
        url: `http://127.0.0.1:${port}`,
        token: OWN_TOKEN,
        prefix: uniquePrefix(),
      }),
  },
];

describe.each(adapterCases)('queue blocking leases under faults over $name', (adapter) => {
  it('keeps consuming across a server restart', async () => {
    const transport = adapter.create(adapter.port());
    const queue = transport.queue<string>(queueName());
    const received: string[] = [];
    const errors: unknown[] = [];
    const consumer = queue.consume((message) => void received.push(message.body), {
      waitMs: 5000,
      onError: (error) => errors.push(error),
    });
    await blockedReads(1);
    await valkey.stop();
    await sleep(3000);
    await valkey.start();
    // The server lost everything (no persistence); enqueue once the client reconnected.
    await eventually(
      () =>
        queue.enqueue('after restart').then(
          () => true,
          () => false,
        ),
      15_000,
      'an enqueue after the restart',
    );
    await eventually(() => received.length > 0, 15_000, 'delivery after the restart');
    await consumer.stop();
    await transport.close();
    expect(received).toEqual(['after restart']);
    expect(errors.length).toBeGreaterThan(0);
    for (const error of errors) {
      expect(error instanceof ConnectionError || error instanceof TimeoutError, String(error)).toBe(
        true,
      );
    }
  });

  it('rejects a blocking lease whose socket is destroyed, and the next call works', async () => {
    const relay = await startRelay(adapter.port());
    const transport = adapter.create(relay.port);
    const queue = transport.queue<string>(queueName());
    try {
      await queue.lease({ consumer: 'a' });
      const waiting = queue.lease({ consumer: 'a', waitMs: 20_000 }).then(
        () => 'resolved',
        (error: unknown) => error,
      );
      await blockedReads(1);
      relay.destroyAll();
      const outcome = await Promise.race([waiting, sleep(2000).then(() => 'still waiting')]);
      expect(outcome).toBeInstanceOf(ConnectionError);
      await queue.enqueue('next');
      const [message] = await queue.lease({ consumer: 'a' });
      expect(message!.body).toBe('next');
      await queue.ack(message!);
    } finally {
      await transport.close();
      await relay.close();
    }
  });

  it('waits in two blocking leases at once while other commands complete', async () => {
    const transport = adapter.create(adapter.port());
    const queue = transport.queue<number>(queueName());
    const other = transport.queue<string>(queueName());
    await queue.lease({ consumer: 'a' });
    const settled: string[] = [];
    const first = queue.lease({ consumer: 'a', waitMs: 20_000 }).finally(() => settled.push('a'));
    const second = queue.lease({ consumer: 'b', waitMs: 20_000 }).finally(() => settled.push('b'));
    await blockedReads(2);
    // CLIENT LIST sent through the transport runs while both leases block, on a connection that
    // is neither of theirs.
    const clients = parseClientList(String(await transport.executor.send(['CLIENT', 'LIST'])));
    const blocked = clients.filter((c) => c.cmd === 'xreadgroup' && c.flags.includes('b'));
    expect(blocked).toHaveLength(2);
    const caller = clients.find((c) => c.cmd === 'client|list');
    expect(caller).toBeDefined();
    expect(blocked.map((c) => c.id)).not.toContain(caller!.id);
    await other.enqueue('meanwhile');
    expect((await other.stats()).ready).toBe(1);
    expect(settled).toEqual([]);

    await queue.enqueueBatch([{ body: 1 }, { body: 2 }]);
    const [a, b] = await Promise.all([first, second]);
    expect(a).toHaveLength(1);
    expect(b).toHaveLength(1);
    expect([a[0]!.body, b[0]!.body].sort()).toEqual([1, 2]);
    await transport.close();
  });
});
