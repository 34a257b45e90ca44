import { base64ToBytes, bytesToBase64, utf8Bytes } from '../base64.js';
import { InvalidArgumentError } from '../errors.js';
import type { Reply } from '../executor.js';
import { FIELD } from './lua-common.js';

const BYTES_ENCODING = 'b';

/**
 * Encodes a body and its headers as stream fields: JSON text, or base64 for bytes (REST request
 * bodies are JSON, which cannot carry raw bytes). Rejects a message over `maxBytes` (body bytes
 * plus headers JSON) before anything is sent.
 */
export function encodeMessage(
  body: unknown,
  headers: Record<string, string> | undefined,
  maxBytes: number,
): string[] {
  let fields: string[];
  let size: number;
  if (body instanceof Uint8Array) {
    size = body.byteLength;
    if (size > maxBytes) throw tooLarge(size, maxBytes);
    fields = [FIELD.encoding, BYTES_ENCODING, FIELD.body, bytesToBase64(body)];
  } else {
    const text = jsonText(body);
    // UTF-8 needs at most 3 bytes per UTF-16 unit, so short bodies skip the exact count.
    size = text.length * 3 <= maxBytes ? text.length : utf8Bytes(text).byteLength;
    // JSON is the encoding of a body without an encoding field, which saves Valkey two strings.
    fields = [FIELD.body, text];
  }
  if (headers !== undefined) {
    const text = encodeHeaders(headers);
    size += utf8Bytes(text).byteLength;
    fields.push(FIELD.headers, text);
  }
  if (size > maxBytes) throw tooLarge(size, maxBytes);
  return fields;
}

function jsonText(body: unknown): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(body);
  } catch (error) {
    throw new InvalidArgumentError(
      'message body',
      body,
      `It cannot be encoded as JSON (${String(error)}); pass plain data or a Uint8Array.`,
    );
  }
  if (text === undefined) {
    throw new InvalidArgumentError(
      'message body',
      body,
      'Pass a JSON value or a Uint8Array; undefined and functions have no JSON form.',
    );
  }
  return text;
}

function tooLarge(size: number, maxBytes: number): InvalidArgumentError {
  return new InvalidArgumentError(
    'message size',
    `${size} bytes`,
    `The queue accepts at most ${maxBytes} bytes (maxBodyBytes); store large payloads elsewhere and enqueue a reference.`,
  );
}

function encodeHeaders(headers: Record<string, string>): string {
  if (headers === null || typeof headers !== 'object' || Array.isArray(headers)) {
    throw new InvalidArgumentError('headers', headers, 'Pass an object of string values.');
  }
  for (const [key, value] of Object.entries(headers)) {
    if (typeof value !== 'string') {
      throw new InvalidArgumentError(
        `header ${JSON.stringify(key)}`,
        value,
        'Header values must be strings.',
      );
    }
  }
  return JSON.stringify(headers);
}

/** The decoded fields of a stream entry. */
export interface DecodedEntry {
  /** Undefined when the entry has no body (a dead letter whose payload was deleted). */
  body: unknown;
  headers: Record<string, string>;
  /** Stable message id, or undefined when the entry id is the message id. */
  messageId: string | undefined;
  /** Deliveries made before the entry was re-added. */
  prior: number;
  /** Last recorded error, or undefined. */
  error: string | undefined;
  /** All fields as text, for the fields only some entries have (dead-letter reason...). */
  map: Map<string, string>;
  /**
   * Reason the body or headers could not be decoded (the entry was not written by this library),
   * or undefined. When set, `body` is undefined and `headers` empty.
   */
  failure: string | undefined;
}

/**
 * Decodes the fields of a stream entry written by this library. An entry written by another
 * client does not throw, so one bad entry cannot fail the others read with it: it comes back
 * with `failure` set.
 */
export function decodeEntry(fields: Reply, id: string): DecodedEntry {
  const map = new Map<string, string>();
  if (Array.isArray(fields)) {
    for (let i = 0; i + 1 < fields.length; i += 2) {
      map.set(String(fields[i]), String(fields[i + 1]));
    }
  }
  const entry: DecodedEntry = {
    body: undefined,
    headers: {},
    messageId: map.get(FIELD.messageId),
    prior: Number(map.get(FIELD.prior) ?? 0),
    error: map.get(FIELD.error),
    map,
    failure: undefined,
  };
  const text = map.get(FIELD.body);
  const headers = map.get(FIELD.headers);
  try {
    if (text !== undefined) {
      const bytes = map.get(FIELD.encoding) === BYTES_ENCODING;
      entry.body = bytes ? base64ToBytes(text) : JSON.parse(text);
    }
    if (headers !== undefined) {
      const parsed: unknown = JSON.parse(headers);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
        throw new Error('its headers are not a JSON object');
      }
      entry.headers = parsed as Record<string, string>;
    }
  } catch (error) {
    entry.body = undefined;
    entry.failure =
      `Message ${id} could not be decoded (${error instanceof Error ? error.message : String(error)}); ` +
      'it was not written by this library.';
  }
  return entry;
}
