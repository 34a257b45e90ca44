import { base64ToBytes, bytesToBase64 } from './base64.js';
import { InvalidArgumentError, TransportError } from './errors.js';
import { checkWellFormed } from './validate.js';

/**
 * Turns values into the text stored in Valkey and back. Values travel as text because the REST
 * protocol carries arguments as JSON strings, so a codec for binary data encodes it (base64).
 */
export interface Codec<T> {
  /** Name used in error messages, e.g. `json`. */
  readonly name: string;
  /** Encodes a value; throws when the value has no encoding. */
  encode(value: T): string;
  decode(text: string): T;
}

/** JSON text. Rejects values JSON cannot represent (undefined, functions, BigInt, cycles). */
export const jsonCodec: Codec<unknown> = {
  name: 'json',
  encode(value) {
    const text = JSON.stringify(value);
    if (text === undefined) {
      throw new TypeError('undefined, functions and symbols have no JSON form');
    }
    return text;
  },
  decode: (text) => JSON.parse(text) as unknown,
};

/** Raw bytes, stored as base64 text. */
export const bytesCodec: Codec<Uint8Array> = {
  name: 'bytes',
  encode(value) {
    if (!(value instanceof Uint8Array)) throw new TypeError('expected a Uint8Array');
    return bytesToBase64(value);
  },
  decode: base64ToBytes,
};

/** Strings stored as they are. */
export const textCodec: Codec<string> = {
  name: 'text',
  encode(value) {
    if (typeof value !== 'string') throw new TypeError('expected a string');
    return value;
  },
  decode: (text) => text,
};

/** Validates that `codec` has the shape of a `Codec`. */
export function validateCodec<T>(codec: unknown): Codec<T> {
  const candidate = codec as Partial<Codec<T>> | null;
  if (
    candidate === null ||
    typeof candidate !== 'object' ||
    typeof candidate.encode !== 'function' ||
    typeof candidate.decode !== 'function'
  ) {
    throw new InvalidArgumentError(
      'codec',
      codec,
      'Pass an object with encode(value) => string and decode(text) => value, e.g. jsonCodec.',
    );
  }
  return candidate as Codec<T>;
}

/**
 * Encodes `value` with `codec` and checks the encoded size, raising `InvalidArgumentError` (before
 * anything is sent) when the codec cannot encode it or the text is over `maxBytes` of UTF-8.
 */
export function encodeValue<T>(codec: Codec<T>, value: T, maxBytes: number, what: string): string {
  let text: unknown;
  try {
    text = codec.encode(value);
  } catch (error) {
    throw new InvalidArgumentError(
      what,
      value,
      `The ${codec.name} codec cannot encode it (${errorMessage(error)}); pass a value it ` +
        'supports or choose another codec.',
    );
  }
  if (typeof text !== 'string') {
    throw new InvalidArgumentError(
      what,
      value,
      `The ${codec.name} codec returned ${typeof text} instead of a string; fix its encode().`,
    );
  }
  checkWellFormed(what, text);
  // UTF-8 takes at most 3 bytes per UTF-16 unit, so short text skips the exact count.
  const size = text.length * 3 <= maxBytes ? text.length : new TextEncoder().encode(text).length;
  if (size > maxBytes) {
    throw new InvalidArgumentError(
      what,
      value,
      `Its encoded size of ${size} bytes is over the limit of ${maxBytes} bytes ` +
        '(maxValueBytes); store large payloads elsewhere and keep a reference here.',
    );
  }
  return text;
}

/** Decodes stored text, naming the key and codec when the text is not the codec's format. */
export function decodeValue<T>(codec: Codec<T>, text: string, where: string): T {
  try {
    return codec.decode(text);
  } catch (error) {
    throw new TransportError(
      `The value stored at ${where} cannot be decoded by the ${codec.name} codec ` +
        `(${errorMessage(error)}); it was written with another codec or by another client.`,
      { cause: error },
    );
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
