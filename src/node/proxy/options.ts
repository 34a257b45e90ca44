import type { Logger } from 'pino';
import { InvalidArgumentError } from '../../errors.js';
import { MAX_TIMER_MS } from '../../validate.js';
import type { TokenGrant } from './auth.js';
import { DEFAULT_DENY } from './policy.js';
import { SCRIPT_MODES, type ScriptMode } from './script-policy.js';

export interface ProxyOptions {
  /** Valkey to forward to, e.g. `redis://127.0.0.1:6379` (user and password, if any, included). */
  valkeyUrl: string;
  /**
   * Accepted bearer tokens (at least one, 16+ characters each). A plain string runs as the URL's
   * user; a `TokenGrant` can name its own ACL user and be read-only.
   */
  tokens: readonly (string | TokenGrant)[];
  /** TCP port to listen on; 0 picks a free one. Default 8080. */
  port?: number;
  /** Address to listen on. Default 127.0.0.1 (set 0.0.0.0 to serve other hosts). */
  host?: string;
  /** Largest request body, in bytes; larger ones get 413. Default 10485760 (10 MiB). */
  maxBodyBytes?: number;
  /** Maximum commands in one `/pipeline` or `/multi-exec` body; more get 400. Default 1000. */
  maxPipelineCommands?: number;
  /** Most items (name and arguments) in one command; more get 400. Default 100000. */
  maxArgs?: number;
  /**
   * Time a request's commands may take before it fails with 503, in ms; blocking commands get
   * their block time on top. Also the time allowed to receive a request. Default 10000.
   */
  requestTimeoutMs?: number;
  /** Maximum block time of one request, in ms; zero or longer timeouts get 400. Default 30000. */
  maxBlockMs?: number;
  /** Blocking commands running at once; more get 503 with Retry-After. Default 64. */
  maxBlockingConnections?: number;
  /** Open `/subscribe` and `/psubscribe` streams; more get 503. Default 256. */
  maxSubscriptions?: number;
  /** Commands (or "COMMAND SUBCOMMAND" pairs) refused with 403. Default `DEFAULT_DENY`. */
  deny?: readonly string[];
  /** Entries taken off the deny list, e.g. `["KEYS"]`. Default none. */
  allow?: readonly string[];
  /**
   * Lua scripts tokens may run: `library` (only this library's own scripts, the default) or
   * `any`. The deny list does not reach the commands inside a script, so with `any` give each
   * token an ACL user without the commands it must not run (e.g. `+@all -@dangerous`).
   */
  scripts?: ScriptMode;
  /** Origins allowed to call from browsers (CORS), or `["*"]`. Default none: CORS off. */
  corsOrigins?: readonly string[];
  /** Time `close()` waits for requests in flight before cutting them off, in ms. Default 30000. */
  shutdownTimeoutMs?: number;
  /** pino logger. Default: JSON lines on stdout at level `info`. */
  logger?: Logger;
}

export type ResolvedOptions = Required<Omit<ProxyOptions, 'logger'>> & { logger?: Logger };

/** The defaults of every optional setting (the CLI's help prints them from here). */
export const PROXY_DEFAULTS = {
  port: 8080,
  host: '127.0.0.1',
  maxBodyBytes: 10 * 1024 * 1024,
  maxPipelineCommands: 1000,
  maxArgs: 100_000,
  requestTimeoutMs: 10_000,
  maxBlockMs: 30_000,
  maxBlockingConnections: 64,
  maxSubscriptions: 256,
  deny: DEFAULT_DENY,
  allow: [] as readonly string[],
  scripts: 'library' as ScriptMode,
  corsOrigins: [] as readonly string[],
  shutdownTimeoutMs: 30_000,
};

/** Fills in the defaults and checks every number, so a bad setting fails at start-up. */
export function resolveOptions(options: ProxyOptions): ResolvedOptions {
  const resolved = { ...PROXY_DEFAULTS, ...withoutUndefined(options) };
  if (typeof resolved.valkeyUrl !== 'string' || resolved.valkeyUrl === '') {
    throw new InvalidArgumentError('valkeyUrl', resolved.valkeyUrl, 'Pass redis://host:port.');
  }
  const counts = ['maxBodyBytes', 'maxPipelineCommands', 'maxArgs', 'requestTimeoutMs'] as const;
  for (const name of [...counts, 'maxBlockMs', 'maxBlockingConnections'] as const) {
    wholeNumber(name, resolved[name], 1);
  }
  wholeNumber('port', resolved.port, 0, 65535);
  if (!SCRIPT_MODES.includes(resolved.scripts)) {
    throw new InvalidArgumentError('scripts', resolved.scripts, 'Pass "library" or "any".');
  }
  wholeNumber('maxSubscriptions', resolved.maxSubscriptions, 0);
  wholeNumber('shutdownTimeoutMs', resolved.shutdownTimeoutMs, 0);
  // A blocking command's deadline is its block time plus the request timeout, on one setTimeout,
  // which fires at once for delays over 2^31 - 1 ms.
  if (resolved.requestTimeoutMs + resolved.maxBlockMs > MAX_TIMER_MS) {
    throw new InvalidArgumentError(
      'requestTimeoutMs + maxBlockMs',
      resolved.requestTimeoutMs + resolved.maxBlockMs,
      `Keep the sum at most ${MAX_TIMER_MS} ms (about 24.8 days).`,
    );
  }
  return resolved;
}

function wholeNumber(name: string, value: unknown, min: number, max?: number): void {
  const valid = typeof value === 'number' && Number.isSafeInteger(value) && value >= min;
  if (!valid || (max !== undefined && value > max)) {
    const range = max === undefined ? `of at least ${min}` : `from ${min} to ${max}`;
    throw new InvalidArgumentError(name, value, `Pass a whole number ${range}.`);
  }
}

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
