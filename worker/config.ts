// Reads the worker's bindings into the transport and dispatcher settings.
import {
  Dispatcher,
  HttpExecutor,
  InvalidArgumentError,
  ValkeyTransport,
  type RoutingCache,
} from '../src/index.js';

export interface Env {
  /** Base URL of the REST proxy (a [vars] entry in wrangler.toml). */
  VALKEY_REST_URL: string;
  /** Token of the REST proxy (a secret: `wrangler secret put VALKEY_REST_TOKEN`). */
  VALKEY_REST_TOKEN: string;
  /** Bearer token that `/services` requires (a secret); without it `/services` is off. */
  SERVICES_TOKEN?: string;
  /** Key prefix shared with the services. Default `vt`. */
  KEY_PREFIX?: string;
  /** Time a dispatched request may take, in ms. Default 10000. */
  DISPATCH_TIMEOUT_MS?: string;
  /** Largest request body forwarded, in bytes. Default 1048576. */
  MAX_BODY_BYTES?: string;
  /** How long the routing table is cached in an isolate, in ms. Default 1000. */
  TABLE_CACHE_MS?: string;
  /** Silence after which an instance counts as Degraded, in ms. Default 15000. */
  DEGRADED_AFTER_MS?: string;
  /** Silence after which an instance gets no requests, in ms. Default 30000. */
  UNHEALTHY_AFTER_MS?: string;
  /** How long the response to a request with `Idempotency-Key` is kept, in ms. Default 86400000. */
  IDEMPOTENCY_TTL_MS?: string;
}

/**
 * Builds the dispatcher that the bindings describe, on the isolate's shared routing cache; throws
 * `InvalidArgumentError` on bad values. Each request gets its own, with executors of its own.
 */
export function createDispatcher(env: Env, routingCache: RoutingCache): Dispatcher {
  const url = required(env, 'VALKEY_REST_URL');
  const token = required(env, 'VALKEY_REST_TOKEN');
  const executor = new HttpExecutor({ url, token });
  // A reply wait blocks in the proxy; an executor of its own lets it start together with the
  // enqueue instead of after it.
  const replyExecutor = new HttpExecutor({ url, token, autoPipeline: false });
  const transport = new ValkeyTransport(executor, env.KEY_PREFIX || 'vt');
  return new Dispatcher(transport, {
    timeoutMs: number(env, 'DISPATCH_TIMEOUT_MS'),
    maxBodyBytes: number(env, 'MAX_BODY_BYTES'),
    routingCache,
    replyExecutor,
    idempotencyTtlMs: number(env, 'IDEMPOTENCY_TTL_MS'),
    registry: {
      degradedAfterMs: number(env, 'DEGRADED_AFTER_MS'),
      unhealthyAfterMs: number(env, 'UNHEALTHY_AFTER_MS'),
    },
  });
}

/** Joins the bindings that shape the dispatcher into one string; a change means a new cache. */
export function configKey(env: Env): string {
  return JSON.stringify([
    env.VALKEY_REST_URL,
    env.VALKEY_REST_TOKEN,
    env.KEY_PREFIX,
    env.DISPATCH_TIMEOUT_MS,
    env.MAX_BODY_BYTES,
    env.TABLE_CACHE_MS,
    env.DEGRADED_AFTER_MS,
    env.UNHEALTHY_AFTER_MS,
    env.IDEMPOTENCY_TTL_MS,
  ]);
}

function required(env: Env, name: 'VALKEY_REST_URL' | 'VALKEY_REST_TOKEN'): string {
  const value = env[name];
  if (typeof value !== 'string' || value === '') {
    throw new InvalidArgumentError(
      `binding ${name}`,
      value,
      name === 'VALKEY_REST_URL'
        ? 'Set it in the [vars] of wrangler.toml to the base URL of the REST proxy.'
        : 'Set it as a secret: `wrangler secret put VALKEY_REST_TOKEN`, or in .dev.vars locally.',
    );
  }
  return value;
}

function number(env: Env, name: keyof Env): number | undefined {
  const text = env[name];
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError(`binding ${name}`, text, 'Set it to a positive number.');
  }
  return value;
}

/** Returns how long an isolate reuses the routing table, in ms (`TABLE_CACHE_MS`, default 1000). */
export function tableCacheMs(env: Env): number {
  return number(env, 'TABLE_CACHE_MS') ?? 1000;
}
