// Queue benchmark: this queue over TCP, over HTTP through the REST proxy, and BullMQ, end to end
// (enqueue to ack) on one private Valkey. Prints messages/s, the ratio to BullMQ, Valkey CPU per
// message (INFO cpu deltas) and memory per pending message (INFO memory deltas), with
// valkey-benchmark as the limit line. BENCH_QUICK=1 runs a short version.
import { cpus } from 'node:os';
import { spawnSync } from 'node:child_process';
import { createTransport, type Transport } from '../src/node/index.js';
import { startValkey, type ValkeyServer } from '../scripts/lib/valkey-server.js';
import { startProxyProcess, type ProxyProcess } from './queue/proxy-process.js';
import { fillBullmq, fillQueue, runBullmq, runQueue, BATCH } from './queue/runners.js';
import { openProbe, valkeyBenchmark, type Probe } from './queue/valkey-probe.js';

const QUICK = process.env.BENCH_QUICK === '1';
const TOTAL = QUICK ? 3000 : 20_000;
const CONCURRENCY = [1, 10, 50];
const SYSTEMS = ['queue tcp', 'queue http', 'bullmq'] as const;
type System = (typeof SYSTEMS)[number];

interface Result {
  system: System;
  concurrency: number;
  perSecond: number;
  cpuMicros: number;
}

interface Setup {
  server: ValkeyServer;
  proxy: ProxyProcess;
  probe: Probe;
  tcp: Transport;
  http: Transport;
}

function run(setup: Setup, system: System, concurrency: number, total: number) {
  if (system === 'queue tcp') return runQueue(setup.tcp, concurrency, total);
  if (system === 'queue http') return runQueue(setup.http, concurrency, total);
  return runBullmq(setup.server.url, concurrency, total);
}

async function measure(setup: Setup, system: System, concurrency: number): Promise<Result> {
  await setup.probe.flush();
  const cpuBefore = await setup.probe.cpuSeconds();
  const elapsedMs = await run(setup, system, concurrency, TOTAL);
  const cpu = (await setup.probe.cpuSeconds()) - cpuBefore;
  return {
    system,
    concurrency,
    perSecond: TOTAL / (elapsedMs / 1000),
    cpuMicros: (cpu / TOTAL) * 1e6,
  };
}

async function memoryPerMessage(setup: Setup, fill: () => Promise<void>): Promise<number> {
  await setup.probe.flush();
  const before = await setup.probe.usedMemory();
  await fill();
  return ((await setup.probe.usedMemory()) - before) / TOTAL;
}

function machine(): string {
  const version = spawnSync('valkey-server', ['--version'], { encoding: 'utf8' }).stdout;
  const valkey = /v=(\S+)/.exec(version)?.[1] ?? 'unknown';
  return `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, Node ${process.version}, valkey-server ${valkey}`;
}

function printResults(results: Result[]): void {
  const bull = (c: number) => results.find((r) => r.system === 'bullmq' && r.concurrency === c)!;
  console.log('\nsystem       conc    msgs/s   vs bullmq   valkey cpu/msg   cpu vs bullmq');
  for (const r of results) {
    const base = bull(r.concurrency);
    console.log(
      [
        r.system.padEnd(12),
        `c${r.concurrency}`.padStart(4),
        r.perSecond.toFixed(0).padStart(9),
        `${(r.perSecond / base.perSecond).toFixed(2)}x`.padStart(11),
        `${r.cpuMicros.toFixed(1)} us`.padStart(16),
        `${(r.cpuMicros / base.cpuMicros).toFixed(3)}`.padStart(15),
      ].join(' '),
    );
  }
}

async function main(): Promise<void> {
  const server = await startValkey();
  const token = `bench-token-${crypto.randomUUID()}`;
  const proxy = await startProxyProcess(server.url, token);
  const setup: Setup = {
    server,
    proxy,
    probe: await openProbe(server.url),
    tcp: createTransport({ url: server.url, prefix: 'bench' }),
    http: createTransport({ url: proxy.url, token, prefix: 'bench' }),
  };
  try {
    console.log(`machine: ${machine()}`);
    console.log(
      `runs: ${TOTAL} messages each, enqueued in batches of ${BATCH} while consuming; ` +
        'no-op handler; small JSON bodies; BullMQ 6.7.6 with removeOnComplete',
    );
    const requests = QUICK ? 20_000 : 200_000;
    const limit = (test: string, pipeline?: number) =>
      valkeyBenchmark(server.port, test, requests, pipeline).toFixed(0);
    console.log(
      `limit (valkey-benchmark, 50 clients): SET ${limit('set')}/s, XADD ${limit('xadd')}/s ` +
        `unpipelined; SET ${limit('set', 16)}/s with 16-deep pipelines`,
    );
    // Warm-up: loads the scripts and lets the JIT settle.
    for (const system of SYSTEMS) await run(setup, system, 10, 1000);
    const results: Result[] = [];
    for (const concurrency of CONCURRENCY) {
      for (const system of SYSTEMS) results.push(await measure(setup, system, concurrency));
    }
    printResults(results);
    const queueBytes = await memoryPerMessage(setup, () => fillQueue(setup.tcp, TOTAL));
    const bullBytes = await memoryPerMessage(setup, () => fillBullmq(server.url, TOTAL));
    console.log(
      `\nmemory per pending message: queue ${queueBytes.toFixed(0)} bytes, ` +
        `bullmq ${bullBytes.toFixed(0)} bytes`,
    );
    const tcp50 = results.find((r) => r.system === 'queue tcp' && r.concurrency === 50)!;
    const bull50 = results.find((r) => r.system === 'bullmq' && r.concurrency === 50)!;
    console.log(
      `valkey cpu per message at c50: queue tcp ${tcp50.cpuMicros.toFixed(1)} us, ` +
        `bullmq ${bull50.cpuMicros.toFixed(1)} us (${(tcp50.cpuMicros / bull50.cpuMicros).toFixed(3)} of bullmq)`,
    );
    console.log(
      `queue/bullmq ratio (tcp, c50): ${(tcp50.perSecond / bull50.perSecond).toFixed(2)}`,
    );
  } finally {
    await Promise.all([setup.tcp.close(), setup.http.close()]);
    setup.probe.close();
    await setup.proxy.stop();
    await server.dispose();
  }
}

await main();
