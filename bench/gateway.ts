// npm run bench:gateway: latency and throughput of a no-op service called through the gateway
// worker (workerd via Miniflare), the REST proxy and Valkey, against the same handler in the same
// process called directly over node:http. Starts its own Valkey, proxy and service processes.
// BENCH_QUICK=1 runs a short version for development. The last line is the p50 overhead.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { cpus } from 'node:os';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { freePort, startValkey } from '../scripts/lib/valkey-server.js';
import { startWorker } from '../scripts/lib/worker.js';

const QUICK = process.env.BENCH_QUICK === '1';
const SEQUENTIAL = QUICK ? 300 : 3000;
const CONCURRENT_TOTAL = QUICK ? 2000 : 20_000;
const CONCURRENCY = 32;
const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface Sample {
  label: string;
  latencies: number[];
  seconds: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function report(sample: Sample): { p50: number } {
  const sorted = [...sample.latencies].sort((a, b) => a - b);
  const p50 = percentile(sorted, 50);
  const rate = sample.latencies.length / sample.seconds;
  console.log(
    `${sample.label.padEnd(34)} ${rate.toFixed(0).padStart(7)} req/s  ` +
      `p50 ${p50.toFixed(2)} ms  p99 ${percentile(sorted, 99).toFixed(2)} ms`,
  );
  return { p50 };
}

async function call(url: string): Promise<number> {
  const started = performance.now();
  const response = await fetch(url);
  const body = await response.text();
  if (response.status !== 200) {
    throw new Error(`${url} returned status ${response.status}: ${body.slice(0, 300)}`);
  }
  return performance.now() - started;
}

/** Sends one request at a time, alternating the targets so drift in machine load hits both. */
async function sequential(direct: string, gateway: string): Promise<[Sample, Sample]> {
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < SEQUENTIAL; i++) {
    a.push(await call(direct));
    b.push(await call(gateway));
  }
  // One request at a time: each target's rate is its count over the time spent on it alone.
  const seconds = (latencies: number[]) => latencies.reduce((sum, ms) => sum + ms, 0) / 1000;
  return [
    { label: 'direct, 1 at a time', latencies: a, seconds: seconds(a) },
    { label: 'gateway, 1 at a time', latencies: b, seconds: seconds(b) },
  ];
}

async function concurrent(label: string, url: string): Promise<Sample> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next++ < CONCURRENT_TOTAL) latencies.push(await call(url));
    }),
  );
  return { label, latencies, seconds: (performance.now() - started) / 1000 };
}

async function startProxyProcess(valkeyUrl: string, token: string) {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'src/node/cli.ts', 'proxy', '--valkey-url', valkeyUrl, '--token', token],
    {
      cwd: ROOT,
      env: { ...process.env, PORT: String(port) },
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    if (
      await fetch(`${url}/healthz`).then(
        () => true,
        () => false,
      )
    )
      return { child, url };
    if (i > 200 || child.exitCode !== null) throw new Error('The proxy did not start.');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

async function startService(valkeyUrl: string): Promise<{ child: ChildProcess; direct: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/gateway-service.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      VALKEY_URL: valkeyUrl,
      DIRECT: '1',
      SERVICE: 'bench',
      CONCURRENCY: '64',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  return { child, direct: String(JSON.parse(line).direct) };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

const valkey = await startValkey();
const token = crypto.randomUUID();
const proxy = await startProxyProcess(valkey.url, token);
const service = await startService(valkey.url);
const worker = await startWorker({ VALKEY_REST_URL: proxy.url, VALKEY_REST_TOKEN: token });
try {
  const direct = `${service.direct}/noop`;
  const gateway = `${worker.url}/noop`;
  for (let i = 0; i < 200; i++) await Promise.all([call(direct), call(gateway)]);
  console.log(
    `gateway benchmark: ${cpus().length} x ${cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}, ` +
      `${SEQUENTIAL} sequential and ${CONCURRENT_TOTAL} concurrent (${CONCURRENCY} at once) requests per target`,
  );
  const [directLow, gatewayLow] = await sequential(direct, gateway);
  const low = { direct: report(directLow), gateway: report(gatewayLow) };
  report(await concurrent(`direct, ${CONCURRENCY} at once`, direct));
  report(await concurrent(`gateway, ${CONCURRENCY} at once`, gateway));
  console.log(`gateway p50 overhead ms: ${(low.gateway.p50 - low.direct.p50).toFixed(2)}`);
} finally {
  await worker.dispose();
  await stop(service.child);
  await stop(proxy.child);
  await valkey.dispose();
}
