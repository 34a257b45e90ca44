import { bytesToBase64 } from '../../base64.js';
import type { Reply } from '../../executor.js';

const utf8 = new TextDecoder();

/**
 * Encodes a reply read with `bytes: true` for JSON: every string as base64 of its exact bytes when
 * the client asked for base64, else as UTF-8 text (invalid bytes become U+FFFD, so the body is
 * always valid JSON). Numbers and nulls stay as they are.
 */
export function encodeResult(reply: Reply, base64: boolean): unknown {
  if (reply instanceof Uint8Array) return base64 ? bytesToBase64(reply) : utf8.decode(reply);
  if (Array.isArray(reply)) return reply.map((item: Reply) => encodeResult(item, base64));
  return reply;
}
