import { base64ToBytes, bytesToBase64 } from '../base64.js';
import { InvalidArgumentError, TransportError } from '../errors.js';

// Stream entry fields of a message: body text, body encoding, headers as JSON.
export const BODY_FIELD = 'b';
export const ENCODING_FIELD = 'e';
export const HEADERS_FIELD = 'h';

const JSON_ENCODING = 'j';
const BYTES_ENCODING = 'b';

/** Encodes a body as stream fields: JSON text, or base64 for bytes (JSON cannot carry bytes). */
export function encodeBody(body: unknown, maxBytes: number): string[] {
  let fields: string[];
  if (body instanceof Uint8Array) {
    fields = [ENCODING_FIELD, BYTES_ENCODING, BODY_FIELD, bytesToBase64(body)];
  } else {
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
    fields = [ENCODING_FIELD, JSON_ENCODING, BODY_FIELD, text];
  }
  const text = fields[3]!;
  // UTF-8 needs at most 3 bytes per UTF-16 unit, so short bodies skip the exact count.
  const size =
    text.length * 3 <= maxBytes ? text.length : new TextEncoder().encode(text).byteLength;
  if (size > maxBytes) {
    throw new InvalidArgumentError(
      'message body',
      `${size} bytes encoded`,
      `The queue accepts at most ${maxBytes} bytes (maxBodyBytes); store large payloads elsewhere and enqueue a reference.`,
    );
  }
  return fields;
}

/** Decodes the fields of a stream entry back into a body and headers. */
export function decodeEntryFields(
  fields: readonly unknown[],
  id: string,
): { body: unknown; headers: Record<string, string> } {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(String(fields[i]), String(fields[i + 1]));
  const text = map.get(BODY_FIELD);
  if (text === undefined)
    throw new TransportError(
      `Message ${id} has no body field; it was not written by this library.`,
    );
  const headers = map.has(HEADERS_FIELD)
    ? (JSON.parse(map.get(HEADERS_FIELD)!) as Record<string, string>)
    : {};
  const body =
    map.get(ENCODING_FIELD) === BYTES_ENCODING
      ? base64ToBytes(text)
      : (JSON.parse(text) as unknown);
  return { body, headers };
}
