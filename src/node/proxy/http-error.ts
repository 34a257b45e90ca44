/**
 * A request the proxy answers with a non-2xx status and a JSON `{"error"}` body. `status` picks
 * the HTTP status; `headers` adds headers such as `Retry-After`.
 */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

/** A malformed request or a command the proxy will not run as sent: HTTP 400. */
export class BadCommandError extends HttpError {
  override name = 'BadCommandError';
  constructor(message: string) {
    super(400, message);
  }
}

/** A command refused by the proxy's policy (deny list, read-only token): HTTP 403. */
export class DeniedError extends HttpError {
  override name = 'DeniedError';
  constructor(
    readonly entry: string,
    reason: string,
  ) {
    super(403, `Command ${entry} is denied: ${reason}`);
  }
}

/** Valkey or a capped resource is unavailable for now; the client may retry later: HTTP 503. */
export class UnavailableError extends HttpError {
  override name = 'UnavailableError';
  constructor(message: string, retryAfterSeconds = 1) {
    super(503, message, { 'retry-after': String(retryAfterSeconds) });
  }
}

/** A 503 because a pool is full: backpressure the client retries, not a fault of the proxy. */
export class BusyError extends UnavailableError {
  override name = 'BusyError';
}
