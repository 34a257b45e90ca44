import { InvalidArgumentError, TransportError } from './errors.js';
import type { Command, Reply } from './executor.js';

const utf8 = new TextDecoder();

/**
 * Raw reply as an adapter decodes it off the wire: every bulk or simple string as its exact bytes.
 * Both adapters turn their wire format into this shape and then call `normalizeReply`, so a
 * command gives the same reply whichever adapter carried it.
 */
export type RawReply = Uint8Array | number | null | readonly RawReply[];

/** Decodes UTF-8 bytes as text; invalid sequences become U+FFFD. */
export type TextDecodeFunction = (bytes: Uint8Array) => string;

const decodeUtf8: TextDecodeFunction = (bytes) => utf8.decode(bytes);

/**
 * Converts a raw reply into the public shape: text by default, bytes when `bytes` is set.
 * `decodeText` lets an adapter use a faster decoder of its runtime (Node's Buffer) with the
 * same result.
 */
export function normalizeReply(
  raw: RawReply,
  bytes: boolean,
  decodeText: TextDecodeFunction = decodeUtf8,
): Reply {
  if (raw instanceof Uint8Array) return bytes ? raw : decodeText(raw);
  if (Array.isArray(raw)) {
    return raw.map((item: RawReply) => normalizeReply(item, bytes, decodeText));
  }
  return raw as number | null;
}

/**
 * Turns each argument into the text Valkey receives, rejecting values JSON cannot carry. When every
 * argument is already text the command itself is returned, so it must not change after sending.
 */
export function commandToStrings(command: Command): string[] {
  if (command.length === 0) {
    throw new InvalidArgumentError(
      'command',
      command,
      'Pass the command name first, e.g. ["GET", "key"].',
    );
  }
  // The common case needs no copy: every argument is already text.
  if (command.every((arg) => typeof arg === 'string')) return command as string[];
  return command.map((arg, index) => {
    if (typeof arg === 'string') return arg;
    if (typeof arg === 'number' && Number.isFinite(arg)) return String(arg);
    throw new InvalidArgumentError(
      `argument ${index} of ${String(command[0])}`,
      arg,
      'Arguments must be strings or finite numbers; encode other values (JSON, base64) first.',
    );
  });
}

/** Narrows a reply to text, or raises a clear error naming the command that returned it. */
export function replyText(reply: Reply, what: string): string {
  if (typeof reply === 'string') return reply;
  if (typeof reply === 'number') return String(reply);
  throw new TransportError(
    `Unexpected reply to ${what}: expected text, got ${describeKind(reply)}.`,
  );
}

/** Narrows a reply to an array, or raises a clear error naming the command that returned it. */
export function replyArray(reply: Reply, what: string): readonly Reply[] {
  if (Array.isArray(reply)) return reply as readonly Reply[];
  throw new TransportError(
    `Unexpected reply to ${what}: expected an array, got ${describeKind(reply)}.`,
  );
}

/** Narrows a reply to a number (integer replies, or numeric text), or raises a clear error. */
export function replyNumber(reply: Reply, what: string): number {
  if (typeof reply === 'number') return reply;
  if (typeof reply === 'string' && reply !== '' && Number.isFinite(Number(reply)))
    return Number(reply);
  throw new TransportError(
    `Unexpected reply to ${what}: expected a number, got ${describeKind(reply)}.`,
  );
}

function describeKind(reply: Reply): string {
  if (reply === null) return 'nil';
  if (reply instanceof Uint8Array) return 'bytes';
  if (Array.isArray(reply)) return 'an array';
  return typeof reply;
}
