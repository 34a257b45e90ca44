import { bytesToBase64 } from '../../base64.js';
import { ValkeyCommandError } from '../../errors.js';
import type { BatchReply, Reply } from '../../executor.js';

const utf8 = new TextDecoder();

/**
 * Encodes a reply read with `bytes: true` for JSON: every string as base64 of its exact bytes when
 * the client asked for base64, else as UTF-8 text (invalid bytes become U+FFFD, so the body is
 * always valid JSON). Numbers and nulls stay as they are; arrays keep RESP2's flat shape.
 */
export function encodeResult(reply: Reply, base64: boolean): unknown {
  if (reply instanceof Uint8Array) return base64 ? bytesToBase64(reply) : utf8.decode(reply);
  if (Array.isArray(reply)) return reply.map((item: Reply) => encodeResult(item, base64));
  return reply;
}

/** One entry of a `/pipeline` or `/multi-exec` reply; error texts are never encoded. */
export function encodeEntry(
  reply: BatchReply,
  base64: boolean,
): { result: unknown } | { error: string } {
  if (reply instanceof ValkeyCommandError) return { error: reply.message };
  return { result: encodeResult(reply, base64) };
}
