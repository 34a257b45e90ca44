// `npm run bench:proxy`: wrk against this proxy (one command per request, and a 16-command
// /pipeline per request), a bare node:http server doing the same single command over node-redis,
// and webdis, all on one private Valkey. BENCH_QUICK=1 runs 3 s per target instead of 10 s.
// Besides req/s, it prints each server's CPU time per request, which other load on the machine
// changes far less than req/s.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@redis/client';
import { freePort, startValkey } from '../scripts/lib/valkey-server.js';
import { runWrk, type WrkResult } from './wrk.js';

const seconds = process.env.BENCH_QUICK ? 3 : 10;
const connections = 50;
const token = `bench-${crypto.randomUUID()}`;
const dir = mkdtempSync(join(tmpdir(), 'bench-proxy-'));
const children: ChildProcess[] = [];

const tools = spawnSync('bash', ['scripts/ensure-bench-tools.sh'], {
  encoding: 'utf8',
  stdio: ['ignore', 'pipe', 'inherit'],
});
if (tools.status !== 0) throw new Error('wrk or webdis is missing; see the message above.');
const webdisBin = tools.stdout.trim().split('\n').at(-1)!;

const valkey = await startValkey();
try {
  const seed = createClient({ url: valkey.url });
  await seed.connect();
  await seed.set('bench:k', 'value-of-bench-key');
  seed.destroy();

  const proxyPort = await freePort();
  const proxyPid = await start(
    [
      process.execPath,
      [
        '--import',
        'tsx',
        'src/node/cli.ts',
        'proxy',
        '--port',
        String(proxyPort),
        '--valkey-url',
        valkey.url,
        '--token',
        token,
        '--log-level',
        'info',
      ],
    ],
    /proxy started/,
  );
  const barePort = await freePort();
  const barePid = await start(
    [process.execPath, ['--import', 'tsx', 'bench/bare-server.ts', valkey.url, String(barePort)]],
    /listening/,
  );
  const webdisPort = await freePort();
  const webdisConfig = join(dir, 'webdis.json');
  writeFileSync(
    webdisConfig,
    JSON.stringify({
      redis_host: '127.0.0.1',
      redis_port: valkey.port,
      http_host: '127.0.0.1',
      http_port: webdisPort,
      threads: 2,
      daemonize: false,
      database: 0,
      verbosity: 1,
      logfile: join(dir, 'webdis.log'),
    }),
  );
  // webdis logs libevent warnings on stderr under load; they go to a file, not the report.
  const webdisStderr = openSync(join(dir, 'webdis.stderr'), 'w');
  const webdisPid = await start([webdisBin, [webdisConfig]], undefined, webdisPort, webdisStderr);

  const auth = {
    authorization: `Bearer ${token}`,
    'content-type': 'application/json',
    'upstash-encoding': 'base64',
  };
  const single = JSON.stringify(['GET', 'bench:k']);
  const pipeline = JSON.stringify(Array.from({ length: 16 }, () => ['GET', 'bench:k']));
  const run = (
    pid: number,
    url: string,
    method: string,
    headers: Record<string, string>,
    body?: string,
  ) => runWrk({ url, method, headers, body, seconds, connections, dir }, pid);

  const proxyUrl = `http://127.0.0.1:${proxyPort}`;
  const proxy = run(proxyPid, `${proxyUrl}/`, 'POST', auth, single);
  const proxyPipe = run(proxyPid, `${proxyUrl}/pipeline`, 'POST', auth, pipeline);
  const bare = run(
    barePid,
    `http://127.0.0.1:${barePort}/`,
    'POST',
    // The same request bytes as the proxy gets; the bare server ignores the token and encoding.
    auth,
    single,
  );
  const webdis = run(webdisPid, `http://127.0.0.1:${webdisPort}/GET/bench:k`, 'GET', {});

  const rows: [string, WrkResult & { cpuMicros: number }, number][] = [
    ['proxy, 1 command/request', proxy, 1],
    ['proxy, 16-command /pipeline', proxyPipe, 16],
    ['bare node:http + node-redis', bare, 1],
    ['webdis', webdis, 1],
  ];
  console.log(
    `\n${cpus().length} CPUs (${cpus()[0]?.model}), wrk -t1 -c${connections} -d${seconds}s, GET of an 18-byte value`,
  );
  console.log(
    'target                          req/s     cmds/s    p50 ms  p99 ms  errors  server CPU µs/req',
  );
  for (const [label, r, per] of rows) {
    console.log(
      `${label.padEnd(30)} ${r.rps.toFixed(0).padStart(7)} ${(r.rps * per).toFixed(0).padStart(10)} ${r.p50.toFixed(2).padStart(9)} ${r.p99.toFixed(2).padStart(7)} ${String(r.errors).padStart(7)} ${r.cpuMicros.toFixed(1).padStart(18)}`,
    );
  }
  console.log(
    `proxy single CPU/req / bare node:http CPU/req: ${(proxy.cpuMicros / bare.cpuMicros).toFixed(2)}`,
  );
  console.log(
    `proxy single req/s / bare node:http req/s: ${(proxy.rps / bare.rps).toFixed(2)} (target 0.90)`,
  );
  console.log(`proxy single req/s / webdis req/s: ${(proxy.rps / webdis.rps).toFixed(2)}`);
  console.log(
    `proxy pipelined cmds/s / webdis req/s: ${((proxyPipe.rps * 16) / webdis.rps).toFixed(2)}`,
  );
} finally {
  for (const child of children) child.kill('SIGTERM');
  await valkey.dispose();
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Starts a server and waits for a line matching `ready` on stdout, or for `port` to accept.
 * Resolves to its process id.
 */
async function start(
  [command, args]: [string, string[]],
  ready?: RegExp,
  port?: number,
  stderr: number | 'inherit' = 'inherit',
): Promise<number> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', stderr] });
  children.push(child);
  const deadline = Date.now() + 20_000;
  if (ready) {
    let text = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${command} did not start`)), 20_000);
      child.stdout!.on('data', (chunk: Buffer) => {
        text += chunk.toString();
        if (ready.test(text)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => reject(new Error(`${command} exited with ${code}`)));
    });
    child.stdout!.resume();
    return child.pid!;
  }
  child.stdout!.resume();
  while (Date.now() < deadline) {
    const response = await fetch(`http://127.0.0.1:${port}/PING`).catch(() => undefined);
    if (response?.ok) return child.pid!;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${command} did not answer on port ${port}`);
}
