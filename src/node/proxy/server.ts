import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { pino } from 'pino';
import { TokenTable } from './auth.js';
import { Backends } from './backends.js';
import { CorsPolicy } from './cors.js';
import { createProxyApp, type ProxyState } from './app.js';
import { resolveOptions, type ProxyOptions } from './options.js';
import { CommandPolicy } from './policy.js';
import { ProxyLog } from './proxy-log.js';
import { Subscriptions } from './subscriptions.js';

export type { ProxyOptions } from './options.js';

export interface RunningProxy {
  /** Base URL the proxy listens on, e.g. `http://127.0.0.1:8080`. */
  url: string;
  port: number;
  /**
   * Stops taking requests, ends subscription streams, waits up to `shutdownTimeoutMs` for the
   * requests in flight, then closes the Valkey connections.
   */
  close(): Promise<void>;
}

/** Starts the REST proxy and resolves once it listens. */
export async function startProxy(options: ProxyOptions): Promise<RunningProxy> {
  const config = resolveOptions(options);
  const tokens = new TokenTable(config.tokens);
  const log = new ProxyLog(config.logger ?? pino({ name: 'valkey-transport-proxy' }));
  const backends = new Backends(
    {
      valkeyUrl: config.valkeyUrl,
      timeoutMs: config.requestTimeoutMs,
      maxBlocking: config.maxBlockingConnections,
      onConnectionEvent: (event, shared, message) => log.connectionEvent(event, shared, message),
    },
    tokens.grants,
  );
  await backends.firstAttempts(5000);
  const state: ProxyState = {
    tokens,
    policy: new CommandPolicy(config.deny, config.allow, config.scripts),
    backends,
    subscriptions: new Subscriptions(
      config.valkeyUrl,
      config.maxSubscriptions,
      config.requestTimeoutMs,
    ),
    cors: new CorsPolicy(config.corsOrigins),
    log,
    limits: config,
    maxBlockMs: config.maxBlockMs,
    timeoutMs: config.requestTimeoutMs,
    healthTimeoutMs: Math.min(config.requestTimeoutMs, 2000),
    draining: false,
    inFlight: 0,
  };
  const server = createAdaptorServer({
    fetch: createProxyApp(state).fetch,
    serverOptions: {
      // Bounds the time to receive a request, which also bounds draining an oversized body.
      requestTimeout: config.requestTimeoutMs,
      headersTimeout: Math.min(config.requestTimeoutMs, 60_000),
      // node:http checks both timeouts only this often (30 s by default), so a request that
      // trickles in would be held up to 30 s past its timeout.
      connectionsCheckingInterval: Math.max(50, Math.min(1000, config.requestTimeoutMs / 4)),
    },
    // The routes read every body they accept, or drain it after a 413 (http-io.ts), and node:http
    // discards the unread body of a request once its response is sent. The adapter's own clean-up
    // would instead close the connection 500 ms after a 413 whose body is still arriving.
    autoCleanupIncoming: false,
  }) as Server;
  await listen(server, config.port, config.host);
  const port = (server.address() as AddressInfo).port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  log.logger.info(
    {
      url,
      valkey: redactUrl(config.valkeyUrl),
      tokens: tokens.grants.map((g) => ({ name: g.name, user: g.user, readOnly: g.readOnly })),
      denied: state.policy.denied.length,
      cors: config.corsOrigins,
    },
    'proxy started',
  );
  let closing: Promise<void> | undefined;
  return {
    url,
    port,
    close: () => (closing ??= shutdown(server, state, backends, config.shutdownTimeoutMs)),
  };
}

async function shutdown(
  server: Server,
  state: ProxyState,
  backends: Backends,
  timeoutMs: number,
): Promise<void> {
  state.draining = true;
  state.log.logger.info('proxy stopping: draining requests in flight');
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  await state.subscriptions.close();
  const deadline = Date.now() + timeoutMs;
  while (state.inFlight > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const abandoned = state.inFlight;
  server.closeAllConnections();
  await closed;
  await backends.close();
  state.log.logger.info({ abandoned }, 'proxy stopped');
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
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
