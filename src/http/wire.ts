import { base64ToBytes } from '../base64.js';
import { AuthError, ConnectionError, TransportError, ValkeyCommandError } from '../errors.js';
import type { BatchReply } from '../executor.js';
import { normalizeReply, type RawReply } from '../reply.js';

/** One `{"result"}` or `{"error"}` entry of the Upstash REST protocol. */
export interface WireEntry {
  result?: unknown;
  error?: unknown;
}

/**
 * Decodes a result sent with `Upstash-Encoding: base64`: every string is base64 of its exact
 * bytes, except that a top-level `OK` may arrive plain (base64 text never has length 2).
 */
export function decodeBase64Result(value: unknown, topLevel: boolean): RawReply {
  if (typeof value === 'string') {
    if (topLevel && value === 'OK') return new TextEncoder().encode('OK');
    return base64ToBytes(value);
  }
  if (typeof value === 'number' || value === null) return value;
  if (Array.isArray(value)) return value.map((item) => decodeBase64Result(item, false));
  throw new TransportError(`Malformed REST reply: unexpected ${typeof value} in a result.`);
}

/** Converts one wire entry into a reply or a command error, in the public shape. */
export function decodeEntry(entry: WireEntry, bytes: boolean, commandName: string): BatchReply {
  if (entry === null || typeof entry !== 'object') {
    throw new TransportError('Malformed REST reply: expected an object with "result" or "error".');
  }
  if (typeof entry.error === 'string') return new ValkeyCommandError(entry.error, commandName);
  return normalizeReply(decodeBase64Result(entry.result ?? null, true), bytes);
}

/** Maps a non-2xx response of the REST server to the error a caller can branch on. */
export function errorForStatus(status: number, text: string, commandName: string): TransportError {
  if (status === 401 || status === 403)
    return new AuthError(`REST server returned ${status}: ${text}`, status);
  if (status === 400) return new ValkeyCommandError(text, commandName, status);
  if (status >= 500) {
    return new ConnectionError(`REST server returned ${status} for ${commandName}: ${text}`, {
      status,
    });
  }
  const error = new TransportError(`REST server returned ${status} for ${commandName}: ${text}`);
  return error;
}

/** Extracts the error text of a JSON error body, falling back to the raw text. */
export function errorText(body: string): string {
  try {
    const parsed = JSON.parse(body) as unknown;
    if (parsed && typeof parsed === 'object' && 'error' in parsed) {
      return String((parsed as { error: unknown }).error);
    }
  } catch {
    // Not JSON: a load balancer or a server that is not the REST proxy answered.
  }
  return body.length > 200 ? `${body.slice(0, 200)}...` : body;
}
