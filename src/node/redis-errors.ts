import { ErrorReply } from '@redis/client';
import { ConnectionError, TimeoutError, TransportError, ValkeyCommandError } from '../errors.js';

/** Maps an error thrown by the node-redis client to this library's error types. */
export function fromClientError(error: unknown, what: string, timeoutMs: number): unknown {
  if (error instanceof TransportError) return error;
  if (error instanceof ErrorReply) return new ValkeyCommandError(error.message, what);
  const name = error instanceof Error ? error.name || error.constructor.name : '';
  const ctor = error instanceof Error ? error.constructor.name : '';
  if (/Timeout/.test(name) || /Timeout/.test(ctor)) {
    return new TimeoutError(timeoutMs, what, { cause: error });
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ConnectionError(`${what} failed: ${message}`, { cause: error });
}
