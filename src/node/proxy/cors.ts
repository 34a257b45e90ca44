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
].join(', ');

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

  /** CORS headers for a request from `origin`, added to `headers`; false for a foreign origin. */
  apply(origin: string | undefined, headers: Record<string, string>): boolean {
    if (origin === undefined || !this.enabled) return false;
    if (!this.#any && !this.#origins.has(origin)) return false;
    headers['access-control-allow-origin'] = this.#any ? '*' : origin;
    headers['access-control-expose-headers'] = 'Upstash-Sync-Token';
    if (!this.#any) headers['vary'] = 'Origin';
    return true;
  }

  /**
   * Checks an OPTIONS preflight and adds its headers: returns 204 for an allowed origin, 403 for
   * another, 405 while CORS is off.
   */
  preflight(origin: string | undefined, headers: Record<string, string>): 204 | 403 | 405 {
    if (!this.enabled) return 405;
    if (!this.apply(origin, headers)) return 403;
    headers['access-control-allow-methods'] = 'GET, HEAD, POST, PUT, OPTIONS';
    headers['access-control-allow-headers'] = ALLOWED_HEADERS;
    headers['access-control-max-age'] = '600';
    return 204;
  }
}
