import { InvalidArgumentError } from './errors.js';
import { HttpExecutor } from './http/http-executor.js';
import { transportFactoryFor } from './plugins.js';
import type { Transport, TransportOptions } from './transport-types.js';
import { ValkeyTransport } from './valkey-transport.js';

const TCP_SCHEMES = new Set(['redis:', 'rediss:', 'valkey:', 'valkeys:']);

/**
 * Creates a transport, choosing the adapter by URL scheme: `http(s)://` uses the REST proxy over
 * fetch; `redis://`, `rediss://`, `valkey://` and `valkeys://` use TCP, which needs the Node entry.
 *
 * @example
 * const transport = createTransport({ url: 'https://proxy.example.com', token: env.VALKEY_REST_TOKEN });
 * await transport.queue('emails').enqueue({ to: 'a@example.com' });
 */
export function createTransport(urlOrOptions: string | TransportOptions): Transport {
  const options = typeof urlOrOptions === 'string' ? { url: urlOrOptions } : urlOrOptions;
  if (options.executor) return new ValkeyTransport(options.executor, options.prefix);
  const url = parseUrl(options.url);
  const plugin = transportFactoryFor(url.protocol);
  if (plugin) return plugin(url, options);
  if (url.protocol === 'http:' || url.protocol === 'https:') {
    const executor = new HttpExecutor({
      url: url.toString(),
      token: options.token ?? '',
      timeoutMs: options.timeoutMs,
    });
    return new ValkeyTransport(executor, options.prefix);
  }
  if (TCP_SCHEMES.has(url.protocol)) {
    throw new InvalidArgumentError(
      'URL',
      redact(url),
      'TCP URLs need the Node entry: import createTransport from "valkey-transport/node". ' +
        'In Workers and other runtimes without TCP sockets, use the https:// URL of a REST proxy.',
    );
  }
  throw new InvalidArgumentError(
    'URL scheme',
    url.protocol,
    'Use http(s):// for the REST proxy or redis:// / valkey:// for TCP.',
  );
}

/** Environment variables `fromEnv` reads. */
export type TransportEnv = Record<string, string | undefined>;

/**
 * Creates a transport from the environment: `VALKEY_URL`, else `VALKEY_REST_URL` with
 * `VALKEY_REST_TOKEN`, else `UPSTASH_REDIS_REST_URL` with `UPSTASH_REDIS_REST_TOKEN`. In Workers,
 * pass the `env` bindings object; elsewhere `process.env` is read.
 */
export function fromEnv(
  env?: TransportEnv,
  options: Omit<TransportOptions, 'url' | 'token'> = {},
): Transport {
  const source = env ?? (globalThis as { process?: { env: TransportEnv } }).process?.env ?? {};
  if (source.VALKEY_URL) return createTransport({ ...options, url: source.VALKEY_URL });
  if (source.VALKEY_REST_URL) {
    return createTransport({
      ...options,
      url: source.VALKEY_REST_URL,
      token: source.VALKEY_REST_TOKEN,
    });
  }
  if (source.UPSTASH_REDIS_REST_URL) {
    return createTransport({
      ...options,
      url: source.UPSTASH_REDIS_REST_URL,
      token: source.UPSTASH_REDIS_REST_TOKEN,
    });
  }
  throw new InvalidArgumentError(
    'environment',
    'no VALKEY_URL, VALKEY_REST_URL or UPSTASH_REDIS_REST_URL',
    'Set VALKEY_URL (TCP) or VALKEY_REST_URL and VALKEY_REST_TOKEN (HTTP).',
  );
}

function parseUrl(url: string | undefined): URL {
  if (typeof url !== 'string' || url === '') {
    throw new InvalidArgumentError(
      'URL',
      url,
      'Pass the server URL, e.g. https://proxy.example.com or redis://127.0.0.1:6379.',
    );
  }
  try {
    return new URL(url);
  } catch {
    throw new InvalidArgumentError(
      'URL',
      url,
      'Pass an absolute URL, e.g. https://proxy.example.com or redis://127.0.0.1:6379.',
    );
  }
}

/** The URL without its password, for error messages. */
function redact(url: URL): string {
  const copy = new URL(url.toString());
  if (copy.password) copy.password = '***';
  return copy.toString();
}
