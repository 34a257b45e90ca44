// `wrangler dev` runs the worker from wrangler.toml, with the bindings given on its command line.
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { serve, type ServiceInstance, type ValkeyTransport } from '../src/node/index.js';
import { freePort } from '../scripts/lib/valkey-server.js';
import { adapters, uniquePrefix } from './support/adapters.js';
import { eventually } from './fixtures/gateway-helpers.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WRANGLER = join(ROOT, 'node_modules', '.bin', 'wrangler');

describe('wrangler dev', () => {
  let wrangler: ChildProcess | undefined;
  let instance: ServiceInstance | undefined;
  let transport: ValkeyTransport | undefined;
  const state = mkdtempSync(join(tmpdir(), 'wrangler-state-'));

  afterAll(async () => {
    if (wrangler?.pid !== undefined && wrangler.exitCode === null) {
      const exited = once(wrangler, 'exit');
      // wrangler starts workerd as a child; the negative pid signals the whole process group.
      process.kill(-wrangler.pid, 'SIGTERM');
      await exited;
    }
    await instance?.stop();
    await transport?.close();
    rmSync(state, { recursive: true, force: true });
  });

  it('serves the gateway from wrangler.toml', async () => {
    const prefix = uniquePrefix();
    transport = adapters[0]!.create({ prefix });
    instance = await serve({
      transport,
      service: 'hello',
      version: '1.0.0',
      signals: [],
      routes: { 'GET /hello/:name': (_request, { name }) => new Response(`hello ${name}`) },
    });
    const port = await freePort();
    wrangler = spawn(
      WRANGLER,
      [
        'dev',
        '--ip=127.0.0.1',
        `--port=${port}`,
        `--inspector-port=${await freePort()}`,
        `--persist-to=${state}`,
        '--show-interactive-dev-session=false',
        '--log-level=warn',
        '--var',
        `VALKEY_REST_URL:${inject('proxyUrl')}`,
        `VALKEY_REST_TOKEN:${inject('proxyToken')}`,
        `KEY_PREFIX:${prefix}`,
      ],
      {
        cwd: ROOT,
        detached: true,
        stdio: ['ignore', 'ignore', 'inherit'],
        env: {
          ...process.env,
          CLOUDFLARE_CF_FETCH_ENABLED: 'false',
          WRANGLER_SEND_METRICS: 'false',
        },
      },
    );
    const base = `http://127.0.0.1:${port}`;
    const health = await eventually(
      () =>
        fetch(`${base}/healthz`).then(
          (r) => r.json(),
          () => undefined,
        ),
      30_000,
      'wrangler dev answering /healthz',
    );
    expect(health).toEqual({ status: 'ok', instances: 1 });
    const response = await fetch(`${base}/hello/wrangler`);
    expect(response.status).toBe(200);
    expect(await response.text()).toBe('hello wrangler');
  }, 60_000);
});
