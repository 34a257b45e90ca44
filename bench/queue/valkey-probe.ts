// Reads a private Valkey's own counters for the benchmark (CPU time, memory), on a connection of
// its own so the measured clients stay untouched; and runs valkey-benchmark as the limit line.
import { spawnSync } from 'node:child_process';
import { createClient } from '@redis/client';

export type Probe = Awaited<ReturnType<typeof openProbe>>;

export async function openProbe(url: string) {
  const client = createClient({ url, RESP: 2 });
  client.on('error', () => {});
  await client.connect();
  const info = async (section: string) => {
    const text = String(await client.sendCommand(['INFO', section]));
    return new Map(
      text
        .split('\r\n')
        .filter((line) => line.includes(':'))
        .map((line) => line.split(':', 2) as [string, string]),
    );
  };
  return {
    /** Valkey's CPU time (user plus system, all threads) in seconds. */
    async cpuSeconds(): Promise<number> {
      const cpu = await info('cpu');
      return Number(cpu.get('used_cpu_user')) + Number(cpu.get('used_cpu_sys'));
    },
    /** Bytes Valkey allocated for data and overhead (INFO memory used_memory). */
    async usedMemory(): Promise<number> {
      return Number((await info('memory')).get('used_memory'));
    },
    async flush(): Promise<void> {
      await client.sendCommand(['FLUSHALL', 'SYNC']);
    },
    close: () => client.destroy(),
  };
}

/** Requests per second valkey-benchmark reaches for `test` with 50 clients. */
export function valkeyBenchmark(
  port: number,
  test: string,
  requests: number,
  pipeline = 1,
): number {
  const result = spawnSync(
    'valkey-benchmark',
    ['-h', '127.0.0.1', '-p', String(port), '-c', '50', '-n', String(requests)].concat([
      '-P',
      String(pipeline),
      '-t',
      test,
      '--csv',
    ]),
    { encoding: 'utf8', timeout: 120_000 },
  );
  // CSV rows: "test","rps",...; the first row is the header.
  const row = result.stdout.split('\n').find((line) => line.startsWith(`"${test.toUpperCase()}"`));
  return row === undefined ? Number.NaN : Number(row.split(',')[1]!.replaceAll('"', ''));
}
