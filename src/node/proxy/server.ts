import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { pino, type Logger } from 'pino';
import { InvalidArgumentError } from '../../errors.js';
import { TcpExecutor } from '../tcp-executor.js';
import { createProxyApp } from './app.js';
import { TokenTable, type TokenGrant } from './auth.js';
import { CommandPolicy, DEFAULT_DENY } from './policy.js';

export interface ProxyOptions {
  /** Valkey to forward to, e.g. `redis://127.0.0.1:6379`. */
  valkeyUrl: string;
  /** Accepted bearer tokens (at least one). */
  tokens: readonly (string | TokenGrant)[];
  /** Port to listen on; 0 picks a free one. Default 8080. */
  port?: number;
  /** Address to listen on. Default 127.0.0.1. */
  host?: string;
  /** Largest request body, in bytes; larger ones get 413. Default 10 MiB. */
  maxBodyBytes?: number;
  /** Most commands in one `/pipeline` or `/multi-exec` body. Default 1000. */
  maxPipelineCommands?: number;
  /** Most items (name and arguments) in one command. Default 100000. */
  maxArgs?: number;
  /** Longest a blocking command may block, in ms; longer or zero timeouts get 400. Default 30000. */
  maxBlockMs?: number;
  /** Dedicated connections for blocking commands. Default 64. */
  maxBlockingConnections?: number;
  /** Time a command may take before the request fails with 503, in ms. Default 10000. */
  commandTimeoutMs?: number;
  /** Commands (or "COMMAND SUBCOMMAND" pairs) rejected with 403. Default `DEFAULT_DENY`. */
  deny?: readonly string[];
  /** pino logger. Default: JSON lines on stdout at level `info`. */
  logger?: Logger;
}

export interface RunningProxy {
  /** Base URL the proxy listens on, e.g. `http://127.0.0.1:8080`. */
  url: string;
  port: number;
  /** Stops accepting requests, waits for those in flight, and closes the Valkey connections. */
  close(): Promise<void>;
}

/** Starts the REST proxy and resolves once it listens. */
export async function startProxy(options: ProxyOptions): Promise<RunningProxy> {
  const grants = (options.tokens ?? []).map((t) => (typeof t === 'string' ? { token: t } : t));
  if (
    grants.length === 0 ||
    grants.some((g) => typeof g.token !== 'string' || g.token.length < 8)
  ) {
    throw new InvalidArgumentError(
      'tokens',
      grants.length,
      'Configure at least one token of 8 or more characters.',
    );
  }
  const logger = options.logger ?? pino({ name: 'valkey-transport-proxy' });
  const executor = new TcpExecutor({
    url: options.valkeyUrl,
    timeoutMs: options.commandTimeoutMs ?? 10_000,
    // Answer 503 at once while Valkey is down instead of holding requests until they time out.
    offlineQueue: false,
    maxBlockingConnections: options.maxBlockingConnections ?? 64,
  });
  const app = createProxyApp({
    executor,
    tokens: new TokenTable(grants),
    policy: new CommandPolicy(options.deny ?? DEFAULT_DENY),
    logger,
    maxBodyBytes: options.maxBodyBytes ?? 10 * 1024 * 1024,
    maxPipelineCommands: options.maxPipelineCommands ?? 1000,
    maxArgs: options.maxArgs ?? 100_000,
    maxBlockMs: options.maxBlockMs ?? 30_000,
  });
  const host = options.host ?? '127.0.0.1';
  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: options.port ?? 8080, hostname: host }, () =>
      resolve(s),
    );
    s.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${host}:${port}`;
  logger.info({ url, valkey: redactUrl(options.valkeyUrl) }, 'proxy started');
  return {
    url,
    port,
    async close() {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as { closeIdleConnections?: () => void }).closeIdleConnections?.();
      });
      await executor.close();
      logger.info({ url }, 'proxy stopped');
    },
  };
}

function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<invalid url>';
  }
}
