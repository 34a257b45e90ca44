// Starts private Valkey servers for the tests, the demo and the benchmarks: each on a free port,
// with its files in a fresh temp folder, nothing persisted, stopped with its owner.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface ValkeyServer {
  url: string;
  port: number;
  /** Process id of the server, for CPU and fault measurements. */
  readonly pid: number | undefined;
  /** Stops the server (SIGTERM) and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts the server again on the same port after `stop`. */
  start(): Promise<void>;
  /** Stops the server for good and deletes its folder. */
  dispose(): Promise<void>;
}

const ENSURE_SCRIPT = fileURLToPath(new URL('../ensure-valkey.sh', import.meta.url));

/** Makes sure valkey-server is installed, installing it on Debian when missing (see the script). */
export function ensureValkeyInstalled(): void {
  if (spawnSync('valkey-server', ['--version']).status === 0) return;
  const result = spawnSync('bash', [ENSURE_SCRIPT], { stdio: 'inherit' });
  if (result.status !== 0)
    throw new Error('valkey-server is not installed; see the message above.');
}

/** Returns a TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Starts a private valkey-server; `extraArgs` are passed on its command line. */
export async function startValkey(
  options: { port?: number; extraArgs?: string[] } = {},
): Promise<ValkeyServer> {
  ensureValkeyInstalled();
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'valkey-transport-'));
  let child: ChildProcess | undefined;

  const start = async () => {
    child = spawn(
      'valkey-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--save',
        '',
        '--appendonly',
        'no',
        '--logfile',
        join(dir, 'valkey.log'),
        ...(options.extraArgs ?? []),
      ],
      { stdio: 'ignore' },
    );
    await waitForPort(port, child);
  };
  const stop = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGTERM');
    await exited;
  };

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    get pid() {
      return child?.pid;
    },
    stop,
    start,
    async dispose() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitForPort(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(`valkey-server exited with code ${child.exitCode} on port ${port}.`);
    if (await answersPing(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  child.kill('SIGKILL');
  throw new Error(`valkey-server did not answer on port ${port} within 10 s.`);
}

function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.setTimeout(500);
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.once('data', (data) => {
      socket.destroy();
      resolve(data.toString().startsWith('+PONG'));
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}
