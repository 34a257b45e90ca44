import { base64ToBytes, bytesToBase64 } from '../base64.js';
import type { Codec } from '../codec.js';

/** An HTTP response in a form an idempotency record can store and replay. */
export interface StoredResponse {
  status: number;
  /** Header pairs in order; repeated names (Set-Cookie) stay separate. */
  headers: [string, string][];
  /** Exact body bytes. */
  body: Uint8Array;
}

/** Stores a `StoredResponse` as JSON with the body in base64, so any bytes survive. */
export const storedResponseCodec: Codec<StoredResponse> = {
  name: 'stored-response',
  encode(value) {
    if (!Number.isInteger(value?.status) || !(value.body instanceof Uint8Array)) {
      throw new TypeError('expected {status: integer, headers: [name, value][], body: Uint8Array}');
    }
    return JSON.stringify({
      status: value.status,
      headers: value.headers,
      body: bytesToBase64(value.body),
    });
  },
  decode(text) {
    const parsed = JSON.parse(text) as {
      status: number;
      headers: [string, string][];
      body: string;
    };
    return { status: parsed.status, headers: parsed.headers, body: base64ToBytes(parsed.body) };
  },
};

/** Reads a `Response` (consuming its body) into a `StoredResponse`. */
export async function toStoredResponse(response: Response): Promise<StoredResponse> {
  const headers: [string, string][] = [];
  response.headers.forEach((value, name) => headers.push([name, value]));
  const body = new Uint8Array(await response.arrayBuffer());
  return { status: response.status, headers, body };
}

/** Builds a fresh `Response` from a `StoredResponse`. */
export function fromStoredResponse(stored: StoredResponse): Response {
  const nullBody = stored.status === 204 || stored.status === 205 || stored.status === 304;
  const body = nullBody ? null : (stored.body as Uint8Array<ArrayBuffer>);
  return new Response(body, {
    status: stored.status,
    headers: stored.headers,
  });
}
