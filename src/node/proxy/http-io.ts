import type { IncomingMessage } from 'node:http';
import { BadCommandError, HttpError } from './http-error.js';

/**
 * Reads a request body of at most `maxBytes`. A larger one (by Content-Length, or counted while it
 * streams in) rejects with a 413 at once, and the rest of the body is still read and discarded:
 * closing the socket on unread data would reset the connection before the client reads the 413.
 * The server's request timeout bounds how long that draining can last.
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const tooLarge = () =>
    new HttpError(
      413,
      `The request body is over the limit of ${maxBytes} bytes; send less per request.`,
    );
  if (Number(req.headers['content-length']) > maxBytes) {
    req.resume();
    return Promise.reject(tooLarge());
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size <= maxBytes) {
        chunks.push(chunk);
        return;
      }
      over = true;
      chunks.length = 0;
      reject(tooLarge());
    });
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    req.once('error', (error: NodeJS.ErrnoException) => {
      // A client that hangs up mid-body is no proxy failure, so it must not be logged as one.
      if (error.code !== 'ECONNRESET') return reject(error);
      reject(new HttpError(400, 'The client closed the connection before sending the whole body.'));
    });
  });
}

/** Parses a JSON request body, checking that the content type (when given) is JSON. */
export function parseJsonBody(req: IncomingMessage, body: Buffer): unknown {
  const type = req.headers['content-type'];
  if (type !== undefined && !/^application\/json\s*(;|$)/i.test(type)) {
    throw new BadCommandError(
      `Content-Type ${JSON.stringify(type)} is not supported; send application/json.`,
    );
  }
  try {
    return JSON.parse(body.toString('utf8')) as unknown;
  } catch {
    throw new BadCommandError(
      'The body is not valid JSON; send a JSON array such as ["GET","key"].',
    );
  }
}

/**
 * Builds a whole JSON response. The headers stay a plain object, which @hono/node-server writes with one
 * `writeHead` (a `Headers` object would be copied into one first), and it adds the length.
 */
export function jsonResponse(
  status: number,
  payload: unknown,
  headers: Record<string, string>,
): Response {
  headers['content-type'] = 'application/json';
  return new Response(JSON.stringify(payload), { status, headers });
}
