import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import { HttpError } from './http-error.js';

/** Request headers that browsers may send: those of the Upstash REST protocol. */
const ALLOWED_HEADERS = [
  'Authorization',
  'Content-Type',
  'Upstash-Encoding',
  'Upstash-Sync-Token',
  'Upstash-Telemetry-Runtime',
  'Upstash-Telemetry-Platform',
  'Upstash-Telemetry-Sdk',
  'Upstash-Telemetry-Retry',
];

/**
 * Cross-origin access for browsers. Off unless origins are configured; then only those origins
 * (or any, with "*") get CORS headers, and the sync token is exposed to their scripts.
 */
export class CorsPolicy {
  readonly #origins: Set<string>;
  readonly #any: boolean;

  constructor(origins: readonly string[]) {
    this.#origins = new Set(origins.map((origin) => origin.replace(/\/+$/, '')));
    this.#any = this.#origins.has('*');
  }

  get enabled(): boolean {
    return this.#origins.size > 0;
  }

  /** Returns the `Access-Control-Allow-Origin` value for `origin`, or null for none. */
  allowOrigin(origin: string): string | null {
    if (origin === '' || !this.enabled) return null;
    if (this.#any) return '*';
    return this.#origins.has(origin) ? origin : null;
  }
}

/**
 * Hono middleware for a proxy with CORS configured: a preflight from a foreign origin gets 403,
 * then hono/cors responds 204 to allowed preflights and adds the headers to every other response.
 */
export function corsMiddleware(policy: CorsPolicy): MiddlewareHandler[] {
  const foreignPreflight: MiddlewareHandler = async (c, next) => {
    if (c.req.method === 'OPTIONS' && policy.allowOrigin(c.req.header('origin') ?? '') === null) {
      throw new HttpError(403, 'Cross-origin requests from this origin are not allowed.');
    }
    await next();
  };
  const headers = cors({
    origin: (origin) => policy.allowOrigin(origin),
    allowMethods: ['GET', 'HEAD', 'POST', 'PUT', 'OPTIONS'],
    allowHeaders: ALLOWED_HEADERS,
    exposeHeaders: ['Upstash-Sync-Token'],
    maxAge: 600,
  });
  return [foreignPreflight, headers];
}
