import { boundedString } from '../validate.js';

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Returns 128 random bits from Web Crypto as 32 hex digits: unguessable, safe as a token. */
export function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let text = '';
  for (const byte of bytes) text += HEX[byte];
  return text;
}

/** Longest token accepted back from a caller, in characters; tokens are compared, not stored. */
const MAX_TOKEN_LENGTH = 4096;

/** Validates a token passed back by the caller (to consume, extend, complete...). */
export function validateToken(token: unknown, argument = 'token'): string {
  return boundedString(argument, token, MAX_TOKEN_LENGTH);
}
