// Base64 without Node built-ins. Node's Buffer is used when the runtime has it (it is several
// times faster than atob/btoa); workerd and browsers take the portable path.

interface BufferLike {
  from(data: string, encoding: 'base64'): Uint8Array;
  from(data: Uint8Array): Uint8Array & { toString(encoding: 'base64'): string };
  from(
    buffer: ArrayBufferLike,
    offset: number,
    length: number,
  ): Uint8Array & {
    toString(encoding: 'base64'): string;
  };
}

const NodeBuffer = (globalThis as { Buffer?: BufferLike }).Buffer;

/** Decodes standard base64 text into bytes. */
export function base64ToBytes(text: string): Uint8Array {
  if (NodeBuffer) return NodeBuffer.from(text, 'base64');
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Encodes bytes as standard base64 text. */
export function bytesToBase64(bytes: Uint8Array): string {
  if (NodeBuffer)
    return NodeBuffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
  let binary = '';
  const chunk = 0x8000;
  for (let i = 0; i < bytes.length; i += chunk) {
    binary += String.fromCharCode(...bytes.subarray(i, i + chunk));
  }
  return btoa(binary);
}

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();

/** Encodes text as UTF-8 bytes. */
export function utf8Bytes(text: string): Uint8Array {
  return utf8Encoder.encode(text);
}

/** Decodes UTF-8 bytes as text (invalid sequences become U+FFFD). */
export function utf8Text(bytes: Uint8Array): string {
  return utf8Decoder.decode(bytes);
}
