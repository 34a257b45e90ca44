/**
 * Reads a request body, stopping as soon as it grows past `maxBytes` so an oversized upload is
 * never buffered whole. Returns the bytes, or null when the body is over the cap.
 */
export async function readBodyCapped(
  request: Request,
  maxBytes: number,
): Promise<Uint8Array | null> {
  if (request.body === null) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      return null;
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0]!;
  const body = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

/** Size of the header names and values, in UTF-16 code units (each header value is Latin-1). */
export function headerSize(headers: readonly [string, string][]): number {
  let size = 0;
  for (const [name, value] of headers) size += name.length + value.length;
  return size;
}
