import { jsonError } from './error-responses.js';
import {
  fromStoredResponse,
  toStoredResponse,
  type StoredResponse,
} from '../tokens/stored-response.js';
import type { AtomicTokenStore } from '../tokens/types.js';

/** Methods whose requests honour `Idempotency-Key`. */
const IDEMPOTENT_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Longest `Idempotency-Key` accepted, in characters. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;

// Visible ASCII only: the key goes into a hash, never into a Valkey key as is.
const KEY_PATTERN = /^[\x21-\x7e]+$/;

/** The part of a request an idempotency record is checked against. */
export interface IdempotentRequest {
  method: string;
  path: string;
  query: string;
  body: Uint8Array;
}

/** Result of a key lookup: forward the request and settle the claim after, or respond at once. */
export type IdempotencyClaim =
  | { kind: 'none' }
  | { kind: 'answer'; response: Response }
  | { kind: 'acquired'; settle: (outcome: Outcome) => Promise<Response> };

/** Response of one forward, and whether the service produced it or the gateway did. */
export interface Outcome {
  response: Response;
  fromService: boolean;
}

/**
 * Applies `Idempotency-Key` to POST, PUT, PATCH and DELETE through the token store's idempotency
 * records. The first request with a key runs. A repeat while it runs gets 409 with Retry-After,
 * and a repeat after it gets the stored response (status, headers, exact body bytes). The same
 * key with another method, path, query or body gets 422. Only service responses below 500 are
 * stored, so after a gateway error (502, 504) or a 5xx from the service the key is released and
 * the client may retry.
 *
 * NOTE: after a 504 the first attempt may still run in the service, so a retry can run the
 * request a second time. Services that must run it once can check the forwarded
 * `Idempotency-Key` header themselves.
 */
export class IdempotencyGuard {
  constructor(
    private readonly records: AtomicTokenStore<StoredResponse>,
    /** How long a stored response is kept, in ms. */
    private readonly ttlMs: number,
    /** Lock time of a claim, in ms: how long a gateway that dies before settling it blocks the key. */
    private readonly lockMs: number,
  ) {}

  async claim(
    request: Request,
    service: string,
    target: IdempotentRequest,
  ): Promise<IdempotencyClaim> {
    const key = request.headers.get('idempotency-key');
    if (key === null || !IDEMPOTENT_METHODS.has(target.method)) return { kind: 'none' };
    if (key.length > MAX_IDEMPOTENCY_KEY_LENGTH || !KEY_PATTERN.test(key)) {
      const fix = `Use 1-${MAX_IDEMPOTENCY_KEY_LENGTH} visible ASCII characters, e.g. a UUID.`;
      return { kind: 'answer', response: jsonError(400, `Invalid Idempotency-Key header. ${fix}`) };
    }
    const record = `gw:${await sha256Hex(encode(`${service}\n${key}`))}`;
    const fingerprint = await fingerprintOf(target);
    const begun = await this.records.begin(record, {
      fingerprint,
      ttlMs: this.ttlMs,
      lockMs: this.lockMs,
    });
    switch (begun.status) {
      case 'completed': {
        const response = fromStoredResponse(begun.result);
        response.headers.set('idempotent-replayed', 'true');
        return { kind: 'answer', response };
      }
      case 'in-progress': {
        const response = jsonError(
          409,
          'A request with this Idempotency-Key is still running; retry after it finishes.',
        );
        response.headers.set(
          'retry-after',
          String(Math.max(1, Math.ceil(begun.retryAfterMs / 1000))),
        );
        return { kind: 'answer', response };
      }
      case 'mismatch':
        return {
          kind: 'answer',
          response: jsonError(
            422,
            'This Idempotency-Key was used with another method, path or body; use a new key.',
          ),
        };
      case 'acquired':
        return {
          kind: 'acquired',
          settle: (outcome) => this.#settle(record, begun.token, outcome),
        };
    }
  }

  /** Stores a service response and returns a copy of it, or releases the key. */
  async #settle(record: string, token: string, outcome: Outcome): Promise<Response> {
    if (!outcome.fromService || outcome.response.status >= 500) {
      await this.records.abandon(record, token).catch(() => false);
      return outcome.response;
    }
    const stored = await toStoredResponse(outcome.response);
    try {
      await this.records.complete(record, token, stored);
    } catch {
      // The response is too large to store or Valkey failed. The client still gets the response,
      // and the released key lets a repeat run again.
      await this.records.abandon(record, token).catch(() => false);
    }
    return fromStoredResponse(stored);
  }
}

/** SHA-256 over method, path, query and body, as hex. */
async function fingerprintOf(target: IdempotentRequest): Promise<string> {
  const head = encode(`${target.method} ${target.path}?${target.query}\n`);
  const joined = new Uint8Array(head.byteLength + target.body.byteLength);
  joined.set(head, 0);
  joined.set(target.body, head.byteLength);
  return sha256Hex(joined);
}

function encode(text: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(text);
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}
