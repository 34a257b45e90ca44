// The proxy as operators run it: `valkey-transport proxy --help`, a config file with secrets from
// the environment, and a SIGTERM that lets requests in flight finish.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startValkey, type ValkeyServer } from '../scripts/lib/valkey-server.js';
import { caller } from './fixtures/proxy-helpers.js';

const CLI = ['--import', 'tsx', 'src/node/cli.ts', 'proxy'];
const TOKEN = 'cli-test-token-0123456789';

describe('valkey-transport proxy --help', () => {
  it('lists every option with its default, and units for the limits', () => {
    const result = spawnSync(process.execPath, [...CLI, '--help'], { encoding: 'utf8' });
    expect(result.status).toBe(0);
    const flags = [
      'config',
      'valkey-url',
      'token',
      'read-only-token',
      'port',
      'host',
      'max-body',
      'max-pipeline',
      'max-args',
      'timeout',
      'max-block',
      'max-blocking',
      'max-subscriptions',
      'deny',
      'allow',
      'cors-origin',
      'shutdown-timeout',
      'log-level',
      'help',
    ];
    for (const flag of flags) expect(result.stdout).toMatch(new RegExp(`^  --${flag}\\b`, 'm'));
    for (const line of result.stdout
      .split('\n')
      .filter((l) => /^  --/.test(l) && !/--help/.test(l))) {
      expect(line).toMatch(/Default: /);
    }
    expect(result.stdout).toMatch(/--max-body <bytes> .*Default: 10485760 bytes/);
    expect(result.stdout).toMatch(/--timeout <ms> .*Default: 10000 ms/);
    expect(result.stdout).toMatch(/--max-block <ms> .*Default: 30000 ms/);
  });

  it('refuses to start without a token, naming the fix', () => {
    const result = spawnSync(process.execPath, [...CLI, '--port', '0'], {
      encoding: 'utf8',
      env: { ...process.env, PROXY_TOKENS: '', PROXY_CONFIG: '' },
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/Configure at least one token/);
  });

  it.each([
    [['--port', '70000'], /Invalid port: 70000\. Pass a whole number from 0 to 65535/],
    [['--log-level', 'loud'], /Invalid --log-level: "loud"\. Use one of: fatal, error/],
    [['--timeout', '3000000000'], /Invalid requestTimeoutMs \+ maxBlockMs: 3000030000\./],
  ])('rejects %j before connecting', (args, message) => {
    const base = ['--valkey-url', inject('valkeyUrl'), '--token', TOKEN];
    const result = spawnSync(process.execPath, [...CLI, ...base, ...args], {
      encoding: 'utf8',
      env: { ...process.env, PROXY_TOKENS: '', PROXY_CONFIG: '' },
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).not.toMatch(/Valkey connection ready/);
  });
});

describe('a running proxy process', () => {
  let valkey: ValkeyServer;
  let dir: string;
  let child: ChildProcess | undefined;
  beforeAll(async () => {
    valkey = await startValkey();
    dir = mkdtempSync(join(tmpdir(), 'proxy-cli-'));
  });
  afterAll(async () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
    await valkey.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads a config file, then drains requests in flight on SIGTERM', async () => {
    const config = join(dir, 'proxy.json');
    writeFileSync(
      config,
      JSON.stringify({ tokens: [{ tokenEnv: 'CLI_TOKEN' }], maxBlockMs: 5000 }),
    );
    child = spawn(process.execPath, [...CLI, '--config', config, '--port', '0'], {
      env: { ...process.env, CLI_TOKEN: TOKEN, VALKEY_URL: valkey.url, PROXY_TOKENS: '' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines = createInterface({ input: child.stdout! });
    const logged: string[] = [];
    const started = new Promise<string>((resolve) =>
      lines.on('line', (line) => {
        logged.push(line);
        const entry = JSON.parse(line) as { msg: string; url?: string };
        if (entry.msg === 'proxy started') resolve(entry.url!);
      }),
    );
    const url = await started;
    const h = caller(url, TOKEN, false);
    expect((await h.post('/', ['PING'])).json).toEqual({ result: 'PONG' });
    const inFlight = h.post('/', ['BLPOP', 'nothing', '1.5']);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const answer = await inFlight;
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual({ result: null });
    const [code] = await exited;
    expect(code).toBe(0);
    const text = logged.join('\n');
    expect(text).toMatch(/"msg":"shutting down"/);
    expect(text).toMatch(/"abandoned":0,"msg":"proxy stopped"/);
    expect(text).not.toContain(TOKEN);
    await expect(fetch(url)).rejects.toThrow();
  });
});
