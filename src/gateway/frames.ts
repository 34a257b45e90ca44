import { base64ToBytes, bytesToBase64 } from '../base64.js';

/** A request as it travels from the gateway to a service, through the service's queue. */
export interface RequestFrame {
  correlationId: string;
  method: string;
  path: string;
  /** Query string without the leading `?`. */
  query: string;
  headers: [string, string][];
  /** Body as base64, so any bytes survive; null when the request had none. */
  body: string | null;
  /**
   * Server-clock time (ms) after which the gateway no longer waits for the reply. A service drops
   * a frame it picks up later without running the handler.
   */
  deadline: number;
}

/** A service's answer to one request frame. */
export interface ReplyFrame {
  status: number;
  headers: [string, string][];
  body: string | null;
}

// Headers that describe one connection, not the message (RFC 9110, section 7.6.1), plus the
// ones the receiving side recomputes.
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'content-length',
  'host',
]);

/** Copies the end-to-end headers, dropping hop-by-hop ones and those named in `Connection`. */
export function endToEndHeaders(headers: Headers): [string, string][] {
  const named = new Set(
    (headers.get('connection') ?? '')
      .split(',')
      .map((name) => name.trim().toLowerCase())
      .filter(Boolean),
  );
  const out: [string, string][] = [];
  headers.forEach((value, name) => {
    if (!HOP_BY_HOP.has(name) && !named.has(name)) out.push([name, value]);
  });
  return out;
}

/** Encodes a body as base64 text, or null when it is empty. */
export function encodeFrameBody(bytes: Uint8Array): string | null {
  return bytes.byteLength === 0 ? null : bytesToBase64(bytes);
}

/**
 * Rebuilds the request a service handler sees from a frame. `signal` becomes `request.signal`, so
 * a handler can stop when the deadline passes or its lease is lost.
 */
export function frameToRequest(frame: RequestFrame, origin: string, signal?: AbortSignal): Request {
  const url = `${origin}${frame.path}${frame.query ? `?${frame.query}` : ''}`;
  const hasBody = frame.body !== null && frame.method !== 'GET' && frame.method !== 'HEAD';
  return new Request(url, {
    method: frame.method,
    headers: frame.headers,
    body: hasBody ? (base64ToBytes(frame.body!) as Uint8Array<ArrayBuffer>) : undefined,
    signal,
  });
}

/**
 * Builds the HTTP response the gateway returns from a reply frame. Throws a `TypeError` or
 * `RangeError` for a frame whose status or headers no HTTP response can carry.
 */
export function frameToResponse(frame: ReplyFrame, method: string): Response {
  const headers = new Headers();
  for (const [name, value] of frame.headers) {
    if (!HOP_BY_HOP.has(name.toLowerCase())) headers.append(name, value);
  }
  const noBody =
    method === 'HEAD' || frame.status === 204 || frame.status === 304 || frame.body === null;
  const body = noBody ? null : (base64ToBytes(frame.body!) as Uint8Array<ArrayBuffer>);
  return new Response(body, { status: frame.status, headers });
}

/** Reads a reply frame from the JSON a service pushed, or returns null when it is malformed. */
export function parseReplyFrame(text: string): ReplyFrame | null {
  let frame: Partial<ReplyFrame>;
  try {
    frame = JSON.parse(text) as Partial<ReplyFrame>;
  } catch {
    return null;
  }
  const valid =
    frame !== null &&
    typeof frame === 'object' &&
    Number.isInteger(frame.status) &&
    Array.isArray(frame.headers) &&
    frame.headers.every(
      (pair) => Array.isArray(pair) && typeof pair[0] === 'string' && typeof pair[1] === 'string',
    ) &&
    (frame.body === null || typeof frame.body === 'string');
  return valid ? (frame as ReplyFrame) : null;
}

/** Encodes a service's response as a reply frame. */
export async function responseToFrame(response: Response): Promise<ReplyFrame> {
  const body = new Uint8Array(await response.arrayBuffer());
  return {
    status: response.status,
    headers: endToEndHeaders(response.headers),
    body: encodeFrameBody(body),
  };
}
