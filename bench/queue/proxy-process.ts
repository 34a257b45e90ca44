// Runs the REST proxy in its own process (the CLI), so it does not share the benchmark's event
// loop, and stops it with the benchmark.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../scripts/lib/valkey-server.js';

const CLI = fileURLToPath(new URL('../../src/node/cli.ts', import.meta.url));

export interface ProxyProcess {
  url: string;
  stop(): Promise<void>;
}

export async function startProxyProcess(valkeyUrl: string, token: string): Promise<ProxyProcess> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', CLI, 'proxy', '--valkey-url', valkeyUrl, '--token', token].concat([
      '--port',
      String(port),
      '--log-level',
      'warn',
    ]),
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`The proxy exited with code ${child.exitCode}.`);
    const healthy = await fetch(`${url}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (healthy) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error('The proxy did not answer /healthz within 20 s.');
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
