import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpBindings } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { ValkeyCommandError } from '../../errors.js';
import { requestToken, type TokenTable } from './auth.js';
import { corsMiddleware, type CorsPolicy } from './cors.js';
import { BusyError, DeniedError, HttpError } from './http-error.js';
import { jsonResponse } from './http-io.js';
import type { ProxyLog } from './proxy-log.js';
import {
  batchRoute,
  runBodyCommand,
  runPathForm,
  subscribeRoute,
  type Limits,
  type RouteRequest,
} from './routes.js';
import type { Runner } from './run.js';
import type { Subscriptions } from './subscriptions.js';

/** Everything a request needs; `draining` turns new requests away during shutdown. */
export interface ProxyState extends Runner {
  tokens: TokenTable;
  subscriptions: Subscriptions;
  cors: CorsPolicy;
  log: ProxyLog;
  limits: Limits;
  healthTimeoutMs: number;
  draining: boolean;
  /** Requests whose response has not finished yet (streams included). */
  inFlight: number;
}

type Env = { Bindings: HttpBindings };
/** A route's work: the JSON body of its 200 response, or a whole response (a stream). */
type Route = (request: RouteRequest) => Promise<unknown>;

/**
 * Builds the Hono app that speaks the Upstash REST protocol; serve it with @hono/node-server,
 * whose `incoming` and `outgoing` bindings it reads. Each path has exactly one handler and no
 * middleware runs unless CORS is configured, so Hono calls the handler without composing a chain.
 */
export function createProxyApp(state: ProxyState): Hono<Env> {
  const app = new Hono<Env>();
  const exchange = exchanges(state);
  if (state.cors.enabled) app.use('*', ...corsMiddleware(state.cors));
  app.get('/healthz', (c) => health(state, c));
  app.all('/', exchange(runBodyCommand));
  app.all('/pipeline', exchange(batchRoute(false)));
  app.all('/multi-exec', exchange(batchRoute(true)));
  app.all('/subscribe/*', exchange(subscribeRoute(false)));
  app.all('/psubscribe/*', exchange(subscribeRoute(true)));
  // Every other path is the path form (`/set/key/value`): Hono calls this handler when no route
  // matches, and a catch-all route instead would make every request run a chain of two handlers.
  app.notFound(exchange(runPathForm));
  // Errors of the CORS middleware, which runs before any route.
  app.onError((error) => failure(state, undefined, error, {}));
  return app;
}

/**
 * Wraps a route in what every protocol request shares: a request id, the in-flight count that
 * shutdown waits for, the token check, the sync token of a 200, and the mapping of errors to
 * JSON responses.
 */
function exchanges(state: ProxyState) {
  const boot = randomBytes(3).toString('hex');
  let requests = 0;
  let writes = 0;
  return (route: Route) =>
    async (c: Context<Env>): Promise<Response> => {
      const { incoming, outgoing } = c.env;
      const id = `${boot}-${(++requests).toString(36)}`;
      state.inFlight++;
      outgoing.once('close', () => state.inFlight--);
      if (state.log.logger.isLevelEnabled('debug')) logCompletion(state, incoming, outgoing, id);
      const headers: Record<string, string> = { 'x-request-id': id };
      if (state.draining) headers.connection = 'close';
      try {
        const body = await route(authenticate(state, incoming, outgoing, headers));
        if (body instanceof Response) return body;
        // Upstash clients send back the last sync token they saw. Any changing value satisfies
        // them, as every request here reaches the same Valkey primary.
        headers['upstash-sync-token'] = `${boot}-${(++writes).toString(36)}`;
        return jsonResponse(200, body, headers);
      } catch (error) {
        return failure(state, id, error, headers);
      }
    };
}

/**
 * Splits the request target and checks the token. Throws 401 for a bad token, 405 for OPTIONS
 * and 503 while draining.
 */
function authenticate(
  state: ProxyState,
  incoming: IncomingMessage,
  outgoing: ServerResponse,
  headers: Record<string, string>,
): RouteRequest {
  const url = incoming.url ?? '/';
  const mark = url.indexOf('?');
  const path = mark < 0 ? url : url.slice(0, mark);
  const query = mark < 0 ? '' : url.slice(mark + 1);
  if (incoming.method === 'OPTIONS') {
    // With CORS configured, the CORS middleware handles preflights before any route runs.
    throw new HttpError(405, 'Cross-origin requests are not enabled on this proxy.', {
      allow: 'GET, HEAD, POST, PUT',
    });
  }
  if (state.draining) throw new HttpError(503, 'The proxy is shutting down; retry shortly.');
  const grant = state.tokens.find(requestToken(incoming.headers.authorization, query));
  if (!grant) {
    state.log.limited(
      'warn',
      'unauthorized',
      { id: headers['x-request-id'] },
      'missing or invalid token',
    );
    throw new HttpError(
      401,
      'Unauthorized: pass a valid token as "Authorization: Bearer <token>".',
    );
  }
  const encoding = incoming.headers['upstash-encoding'];
  const base64 = typeof encoding === 'string' && encoding.toLowerCase() === 'base64';
  const clientGone = () => {
    const controller = new AbortController();
    outgoing.once('close', () => {
      if (!outgoing.writableFinished) controller.abort(new Error('The client closed the request.'));
    });
    return controller.signal;
  };
  return {
    state,
    incoming,
    method: incoming.method ?? 'GET',
    path,
    query,
    grant,
    base64,
    headers,
    clientGone,
  };
}

/** Serves `/healthz`: 200 when every ACL user's connection replies to PING, else 503. No token needed. */
async function health(state: ProxyState, c: Context<Env>): Promise<Response> {
  const headers: Record<string, string> = {};
  if (state.draining) return jsonResponse(503, { status: 'draining' }, headers);
  const pings = await Promise.allSettled(
    state.backends.all.map((executor) =>
      executor.send(['PING'], { timeoutMs: state.healthTimeoutMs }),
    ),
  );
  // An ACL user without PING still proves the server replies.
  const down = pings.find(
    (p) => p.status === 'rejected' && !(p.reason instanceof ValkeyCommandError),
  );
  if (down === undefined) {
    return jsonResponse(200, { status: 'ok', backend: 'reachable' }, headers);
  }
  const error = String((down as PromiseRejectedResult).reason?.message ?? down);
  state.log.limited('error', 'health', { err: error, path: c.req.path }, 'health check failed');
  return jsonResponse(503, { status: 'unavailable', backend: 'unreachable', error }, headers);
}

/** Builds the JSON response of a failed request. A 500 is logged with its stack under the request id. */
function failure(
  state: ProxyState,
  id: string | undefined,
  error: unknown,
  headers: Record<string, string>,
): Response {
  if (error instanceof HttpError) {
    if (error instanceof DeniedError) {
      state.log.limited(
        'warn',
        `denied:${error.entry}`,
        { id, command: error.entry },
        'denied command',
      );
    } else if (error instanceof BusyError) {
      state.log.limited('warn', 'busy', { id, err: error.message }, 'answered 503: pool full');
    } else if (error.status === 503) {
      state.log.limited('error', 'unavailable', { id, err: error.message }, 'answered 503');
    } else if (error.status === 413) {
      state.log.limited('warn', 'too-large', { id }, 'request body over the limit');
    }
    return jsonResponse(error.status, { error: error.message }, { ...headers, ...error.headers });
  }
  state.log.logger.error({ id, err: describe(error) }, 'request failed');
  return jsonResponse(
    500,
    { error: 'Internal proxy error; the proxy log has the details under this request id.', id },
    headers,
  );
}

/** An error's name, message and stack, without the fields a client error may carry (values). */
function describe(error: unknown): Record<string, unknown> {
  if (!(error instanceof Error)) return { message: String(error) };
  return { type: error.name, message: error.message, stack: error.stack };
}

/** At debug level: one line per request with its route, status and time; never its values. */
function logCompletion(
  state: ProxyState,
  req: IncomingMessage,
  res: ServerResponse,
  id: string,
): void {
  const started = performance.now();
  res.once('close', () => {
    const path = (req.url ?? '/').split('?')[0]!;
    const first = path.split('/')[1] ?? '';
    const name = /^[A-Za-z_-]{1,32}$/.test(first) ? `/${first.toLowerCase()}` : '/';
    state.log.logger.debug(
      {
        id,
        method: req.method,
        route: name,
        status: res.statusCode,
        ms: Math.round(performance.now() - started),
      },
      'request',
    );
  });
}
