/** Maximum length of a caller's value that an error message repeats. */
const MAX_ECHO = 80;

/** Shortens a value for an error message, so a huge payload never floods a log line. */
export function describeValue(value: unknown): string {
  let text: string;
  if (typeof value === 'string') text = JSON.stringify(value);
  else if (value instanceof Uint8Array) text = `<${value.byteLength} bytes>`;
  else if (typeof value === 'bigint') text = `${value}n`;
  // JSON shows NaN and Infinity as null, which would name the wrong value.
  else if (typeof value === 'number' || typeof value === 'symbol') text = String(value);
  else if (typeof value === 'function') text = '<function>';
  else {
    try {
      text = JSON.stringify(value) ?? String(value);
    } catch {
      text = String(value);
    }
  }
  return text.length > MAX_ECHO ? `${text.slice(0, MAX_ECHO)}...(${text.length} chars)` : text;
}

/** Base class of every error this library raises. */
export class TransportError extends Error {
  override name = 'TransportError';
}

/** A value passed by the caller is invalid; raised before anything is sent. */
export class InvalidArgumentError extends TransportError {
  override name = 'InvalidArgumentError';
  constructor(
    readonly argument: string,
    readonly value: unknown,
    fix: string,
  ) {
    super(`Invalid ${argument}: ${describeValue(value)}. ${fix}`);
  }
}

/** The server could not be reached, or the connection broke before the reply arrived. */
export class ConnectionError extends TransportError {
  override name = 'ConnectionError';
  constructor(message: string, options?: { cause?: unknown; status?: number }) {
    super(message, { cause: options?.cause });
    this.status = options?.status;
  }
  /** HTTP status when the REST proxy reported the failure (503, 502...). */
  readonly status: number | undefined;
}

/** A call did not settle within its timeout. A write may still have been applied. */
export class TimeoutError extends TransportError {
  override name = 'TimeoutError';
  constructor(
    readonly timeoutMs: number,
    what: string,
    options?: { cause?: unknown },
  ) {
    super(`${what} timed out after ${timeoutMs} ms`, options);
  }
}

/** The REST proxy rejected the token (HTTP 401) or the command by policy (HTTP 403). */
export class AuthError extends TransportError {
  override name = 'AuthError';
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

/**
 * An error reply from Valkey, with the server's text kept verbatim. `code` is its first word
 * (`WRONGTYPE`, `NOSCRIPT`, `ERR`...), which callers branch on.
 */
export class ValkeyCommandError extends TransportError {
  override name = 'ValkeyCommandError';
  readonly code: string;
  constructor(
    message: string,
    readonly command?: string,
    readonly status?: number,
  ) {
    super(message);
    const space = message.indexOf(' ');
    this.code = space > 0 ? message.slice(0, space) : message;
  }
}

/**
 * A lease was taken over by another consumer (or the message is gone), so this holder may no
 * longer ack, renew or nack it. Nothing was changed.
 */
export class LeaseLostError extends TransportError {
  override name = 'LeaseLostError';
  constructor(
    readonly messageId: string,
    readonly consumer: string,
  ) {
    super(
      `The lease on message ${messageId} held by consumer ${JSON.stringify(consumer)} was lost: ` +
        'it expired and another consumer took it, or the message was acked or removed. ' +
        'Stop working on it; it will be (or was) delivered again.',
    );
  }
}

/**
 * An event stream entry could not be decoded by the reader's codec (it was published with
 * another codec or by another client). `eventId` is also the cursor that skips it.
 */
export class EventDecodeError extends TransportError {
  override name = 'EventDecodeError';
  constructor(
    readonly eventId: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      `${reason} Read on after it with read({ after: ${JSON.stringify(eventId)} }) or ` +
        `subscribe({ from: ${JSON.stringify(eventId)} }), or ack it in a durable subscription.`,
      options,
    );
  }
}

/** Whether `error` is a Valkey reply that names a missing script (EVALSHA before EVAL). */
export function isNoScript(error: unknown): boolean {
  return error instanceof ValkeyCommandError && error.code === 'NOSCRIPT';
}
