// npm run bench:primitives: cache get/set and token issue/consume throughput over TCP and over
// HTTP through the REST proxy, next to the plain node-redis client (RESP2) sending the plain
// commands, in the same run, at the same concurrency. Starts its own Valkey and proxy.
// Each round runs every pair back to back (plain, then ours, order swapped every other round) and
// the ratios are medians of the per-round ratios, so load from other processes hits both sides.
// BENCH_QUICK=1 runs a short pass for development.
import { createClient } from '@redis/client';
import { pino } from 'pino';
import { createTransport, startProxy, type Transport } from '../src/node/index.js';
import { startValkey } from '../scripts/lib/valkey-server.js';

const QUICK = process.env.BENCH_QUICK === '1';
const OPERATIONS = QUICK ? 5_000 : 30_000;
const HTTP_OPERATIONS = QUICK ? 1_000 : 5_000;
const ROUNDS = QUICK ? 3 : 7;
const CONCURRENCY = 50;
const KEYS = 1000;
const TTL_MS = 600_000;
const VALUE = { id: 42, name: 'Ada Lovelace', roles: ['admin', 'author'], active: true };

const COMPARE_AND_DELETE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

type Operation = (i: number) => Promise<unknown>;

interface Pair {
  name: string;
  plain: Operation;
  ours: Operation;
  count: number;
}

/** Runs `count` operations with `CONCURRENCY` in flight; returns operations per second. */
async function throughput(count: number, operation: Operation): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) await operation(next++);
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Measures each pair over `ROUNDS` rounds; returns median throughputs and ratios. */
async function measure(pairs: Pair[]) {
  const samples = new Map<string, { plain: number[]; ours: number[]; ratio: number[] }>();
  for (const pair of pairs) {
    await throughput(Math.min(pair.count, 1000), pair.plain);
    await throughput(Math.min(pair.count, 1000), pair.ours);
  }
  for (let round = 0; round < ROUNDS; round++) {
    for (const pair of pairs) {
      const entry = samples.get(pair.name) ?? { plain: [], ours: [], ratio: [] };
      samples.set(pair.name, entry);
      let plain: number;
      let ours: number;
      if (round % 2 === 0) {
        plain = await throughput(pair.count, pair.plain);
        ours = await throughput(pair.count, pair.ours);
      } else {
        ours = await throughput(pair.count, pair.ours);
        plain = await throughput(pair.count, pair.plain);
      }
      entry.plain.push(plain);
      entry.ours.push(ours);
      entry.ratio.push(ours / plain);
    }
  }
  return pairs.map((pair) => {
    const entry = samples.get(pair.name)!;
    return {
      name: pair.name,
      plain: median(entry.plain),
      ours: median(entry.ours),
      ratio: median(entry.ratio),
    };
  });
}

function pairsFor(label: string, transport: Transport, plain: PlainOperations, count: number) {
  const cache = transport.cache<typeof VALUE>('bench', { ttlMs: TTL_MS });
  const tokens = transport.tokens();
  const issued: (string | null)[] = [];
  let round = 0;
  return [
    {
      name: `${label} cache set`,
      plain: plain.set,
      ours: (i: number) => cache.set(`k${i % KEYS}`, VALUE),
      count,
    },
    {
      name: `${label} cache get`,
      plain: plain.get,
      ours: (i: number) => cache.get(`k${i % KEYS}`),
      count,
    },
    {
      name: `${label} token issue`,
      plain: plain.issue,
      ours: async (i: number) => {
        if (i === 0) round++;
        issued[i] = await tokens.issue(`t${round}:${i}`, { ttlMs: TTL_MS });
      },
      count,
    },
    {
      name: `${label} token consume`,
      plain: plain.consume,
      ours: (i: number) => tokens.consume(`t${round}:${i}`, issued[i] ?? 'missing'),
      count,
    },
  ];
}

interface PlainOperations {
  set: Operation;
  get: Operation;
  issue: Operation;
  consume: Operation;
}

/** Connects the plain client and builds its equivalents: SET PX, GET (same JSON work), SET NX PX, EVALSHA. */
async function plainOperations(url: string) {
  const client = createClient({ url, RESP: 2 });
  client.on('error', () => {});
  await client.connect();
  const sha = String(await client.sendCommand(['SCRIPT', 'LOAD', COMPARE_AND_DELETE]));
  const issued: (string | null)[] = [];
  let round = 0;
  const operations: PlainOperations = {
    set: (i) => client.set(`p:k${i % KEYS}`, JSON.stringify(VALUE), { PX: TTL_MS }),
    get: async (i) => JSON.parse((await client.get(`p:k${i % KEYS}`)) ?? 'null') as unknown,
    issue: async (i) => {
      if (i === 0) round++;
      const value = crypto.randomUUID();
      const reply = await client.set(`p:t${round}:${i}`, value, { NX: true, PX: TTL_MS });
      issued[i] = reply === null ? null : value;
    },
    consume: (i) =>
      client.sendCommand(['EVALSHA', sha, '1', `p:t${round}:${i}`, issued[i] ?? 'missing']),
  };
  return { operations, close: () => client.close() };
}

async function main(): Promise<void> {
  const valkey = await startValkey();
  const token = crypto.randomUUID();
  const proxy = await startProxy({
    valkeyUrl: valkey.url,
    tokens: [token],
    port: 0,
    logger: pino({ level: 'silent' }),
  });
  const plain = await plainOperations(valkey.url);
  const tcp = createTransport({ url: valkey.url, prefix: 'tcp' });
  const http = createTransport({ url: proxy.url, token, prefix: 'http' });
  try {
    const results = await measure([
      ...pairsFor('tcp', tcp, plain.operations, OPERATIONS),
      ...pairsFor('http', http, plain.operations, HTTP_OPERATIONS),
    ]);
    report(results);
  } finally {
    await Promise.all([tcp.close(), http.close(), plain.close()]);
    await proxy.close();
    await valkey.dispose();
  }
}

function report(results: { name: string; plain: number; ours: number; ratio: number }[]): void {
  console.log(
    `Concurrency ${CONCURRENCY}, ${ROUNDS} rounds, medians; plain = node-redis on TCP ` +
      '(SET PX, GET, SET NX PX, EVALSHA compare-and-delete).',
  );
  console.log(
    `${'operation'.padEnd(20)} ${'ours op/s'.padStart(10)} ${'plain op/s'.padStart(10)}  ours/plain`,
  );
  for (const { name, plain, ours, ratio } of results) {
    console.log(
      `${name.padEnd(20)} ${Math.round(ours).toString().padStart(10)} ` +
        `${Math.round(plain).toString().padStart(10)}  ${ratio.toFixed(2)}`,
    );
  }
  const ratioOf = (name: string) => results.find((r) => r.name === name)!.ratio;
  const lower = Math.min(ratioOf('tcp cache get'), ratioOf('tcp cache set'));
  console.log(`cache/plain ratio (tcp): ${lower.toFixed(2)}`);
}

await main();
