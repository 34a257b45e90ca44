import type { RouteMatch } from './routing.js';

/** Builds a JSON error response `{error}`, the shape of every gateway error. */
export function jsonError(status: number, message: string): Response {
  return new Response(JSON.stringify({ error: message }), {
    status,
    headers: { 'content-type': 'application/json' },
  });
}

/** Builds a 405 with `Allow` when live instances serve the path with other methods, else a 503. */
export function noRoute(
  method: string,
  path: string,
  requested: string | undefined,
  allowed: string[],
): Response {
  if (allowed.length > 0) {
    const methods = allowed.join(', ');
    const response = jsonError(405, `${method} is not served on ${path}; use ${methods}.`);
    response.headers.set('allow', methods);
    return response;
  }
  const version = requested ? ` version ${requested}` : '';
  return jsonError(503, `No live service instance${version} serves ${method} ${path}.`);
}

export function bodyTooLarge(size: number | string, maxBytes: number): Response {
  return jsonError(413, `Request body of ${size} bytes is over the ${maxBytes}-byte limit.`);
}

export function headersTooLarge(maxBytes: number): Response {
  return jsonError(431, `Request headers are over the ${maxBytes}-byte limit.`);
}

export function timedOut(route: RouteMatch, method: string, path: string, ms: number): Response {
  const service = `${route.service} ${route.version}`;
  return jsonError(504, `${service} did not reply to ${method} ${path} within ${ms} ms.`);
}

export function stalled(request: Request, ms: number): Response {
  const path = new URL(request.url).pathname;
  return jsonError(504, `The gateway could not forward ${request.method} ${path} within ${ms} ms.`);
}

export function malformedReply(route: RouteMatch): Response {
  return jsonError(502, `${route.service} ${route.version} sent a malformed reply.`);
}

/**
 * Builds the 502 for a request the gateway could not forward. The error itself goes to `report`,
 * not to the client, because its text names internal addresses (the proxy's URL) and server errors.
 */
export function forwardFailed(error: unknown, report: (error: unknown) => void): Response {
  const id = crypto.randomUUID();
  report(Object.assign(error instanceof Error ? error : new Error(String(error)), { id }));
  return jsonError(502, `The gateway failed to forward the request; its log has the error ${id}.`);
}
