// createTransport, fromEnv and the plugin registry: adapter choice by URL scheme and the errors
// that bad configuration gets.
import { afterAll, describe, expect, inject, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import {
  createTransport,
  fromEnv,
  HttpExecutor,
  InvalidArgumentError,
  registerTransport,
  TcpExecutor,
  ValkeyTransport,
  type Transport,
} from '../src/node/index.js';

const opened: Transport[] = [];
function track<T extends Transport>(transport: T): T {
  opened.push(transport);
  return transport;
}

afterAll(async () => {
  await Promise.all(opened.map((t) => t.close()));
});

describe('createTransport', () => {
  it('uses HTTP for http and https URLs', () => {
    const transport = track(
      createTransport({ url: inject('proxyUrl'), token: inject('proxyToken') }),
    );
    expect(transport.executor).toBeInstanceOf(HttpExecutor);
    expect(transport.executor.kind).toBe('http');
  });

  it.each(['redis', 'valkey'])('uses TCP for %s:// URLs', async (scheme) => {
    const url = inject('valkeyUrl').replace(/^redis:/, `${scheme}:`);
    const transport = track(createTransport(url));
    expect(transport.executor).toBeInstanceOf(TcpExecutor);
    expect(await transport.executor.send(['PING'])).toBe('PONG');
  });

  it('explains TCP URLs in the edge entry', () => {
    // A fresh process that loads only the edge entry, as a Worker bundle does.
    const script = `import('./src/index.ts').then((m) => m.createTransport('redis://127.0.0.1:1'))`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], {
      encoding: 'utf8',
    });
    expect(child.status).not.toBe(0);
    expect(child.stderr).toContain('InvalidArgumentError');
    expect(child.stderr).toContain('import createTransport from "valkey-transport/node"');
    expect(child.stderr).toContain('use the https:// URL of a REST proxy');
  });

  it.each([
    ['', /Invalid URL/],
    ['not a url', /Invalid URL/],
    ['ftp://example.com', /Invalid URL scheme: "ftp:"/],
  ])('rejects URL %j', (url, message) => {
    expect(() => createTransport(url)).toThrow(InvalidArgumentError);
    expect(() => createTransport(url)).toThrow(message);
  });

  it('requires a token for HTTP', () => {
    expect(() => createTransport(inject('proxyUrl'))).toThrow(/Invalid token: .*VALKEY_REST_TOKEN/);
  });

  it('rejects an invalid key prefix', () => {
    expect(() => createTransport({ url: inject('valkeyUrl'), prefix: 'a{b}' })).toThrow(
      /Invalid key prefix name: "a\{b\}"/,
    );
  });

  it('uses an executor passed in', () => {
    const executor = new HttpExecutor({ url: inject('proxyUrl'), token: inject('proxyToken') });
    const transport = track(createTransport({ executor, prefix: 'custom' }));
    expect(transport.executor).toBe(executor);
  });
});

describe('fromEnv', () => {
  it('prefers VALKEY_URL', () => {
    const transport = track(
      fromEnv({ VALKEY_URL: inject('valkeyUrl'), VALKEY_REST_URL: 'http://unused.invalid' }),
    );
    expect(transport.executor.kind).toBe('tcp');
  });

  it('reads the REST pair', async () => {
    const transport = track(
      fromEnv({ VALKEY_REST_URL: inject('proxyUrl'), VALKEY_REST_TOKEN: inject('proxyToken') }),
    );
    expect(transport.executor.kind).toBe('http');
    expect(await transport.executor.send(['PING'])).toBe('PONG');
  });

  it('reads the Upstash pair', async () => {
    const transport = track(
      fromEnv({
        UPSTASH_REDIS_REST_URL: inject('proxyUrl'),
        UPSTASH_REDIS_REST_TOKEN: inject('proxyToken'),
      }),
    );
    expect(await transport.executor.send(['PING'])).toBe('PONG');
  });

  it('names the variables when none is set', () => {
    expect(() => fromEnv({})).toThrow(
      /Set VALKEY_URL \(TCP\) or VALKEY_REST_URL and VALKEY_REST_TOKEN/,
    );
  });
});

describe('registerTransport', () => {
  it('hands a registered scheme to its factory', () => {
    const seen: string[] = [];
    registerTransport(['memtest:'], (url, options) => {
      seen.push(url.host);
      return new ValkeyTransport(
        new HttpExecutor({ url: inject('proxyUrl'), token: inject('proxyToken') }),
        options.prefix,
      );
    });
    const transport = track(createTransport({ url: 'memtest://somewhere', prefix: 'p1' }));
    expect(seen).toEqual(['somewhere']);
    expect(transport).toBeInstanceOf(ValkeyTransport);
  });

  it('rejects a scheme without its colon', () => {
    expect(() => registerTransport(['nats'], () => undefined as never)).toThrow(
      /Invalid URL scheme: "nats"/,
    );
  });
});
