import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ValkeyCommandError } from '../../errors.js';
import { requestToken, type TokenTable } from './auth.js';
import type { CorsPolicy } from './cors.js';
import { DeniedError, HttpError } from './http-error.js';
import { sendJson } from './http-io.js';
import type { ProxyLog } from './proxy-log.js';
import { route, type Limits } from './routes.js';
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

/** Builds the node:http request listener that speaks the Upstash REST protocol. */
export function createHandler(state: ProxyState) {
  const boot = randomBytes(3).toString('hex');
  let requests = 0;
  let writes = 0;
  // Upstash clients send back the last sync token they saw; any changing value satisfies them,
  // as every request here reaches the same Valkey primary.
  const syncToken = () => `${boot}-${(++writes).toString(36)}`;
  return (req: IncomingMessage, res: ServerResponse): void => {
    const id = `${boot}-${(++requests).toString(36)}`;
    state.inFlight++;
    res.once('close', () => state.inFlight--);
    if (state.log.logger.isLevelEnabled('debug')) logCompletion(state, req, res, id);
    const headers: Record<string, string> = { 'x-request-id': id };
    if (state.draining) headers.connection = 'close';
    handle(state, req, res, headers, syncToken).catch((error: unknown) =>
      fail(state, res, id, error, headers),
    );
  };
}

async function handle(
  state: ProxyState,
  req: IncomingMessage,
  res: ServerResponse,
  headers: Record<string, string>,
  syncToken: () => string,
): Promise<void> {
  const url = req.url ?? '/';
  const mark = url.indexOf('?');
  const path = mark < 0 ? url : url.slice(0, mark);
  const query = mark < 0 ? '' : url.slice(mark + 1);
  state.cors.apply(req.headers.origin, headers);
  if (req.method === 'OPTIONS') {
    const status = state.cors.preflight(req.headers.origin, headers);
    if (status === 204) res.writeHead(204, headers).end();
    else throw new HttpError(status, 'Cross-origin requests from this origin are not allowed.');
    return;
  }
  if (path === '/healthz') return health(state, res, headers);
  if (state.draining) throw new HttpError(503, 'The proxy is shutting down; retry shortly.');
  const grant = state.tokens.find(requestToken(req.headers.authorization, query));
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
  const base64 = String(req.headers['upstash-encoding']).toLowerCase() === 'base64';
  const body = await route(state, { req, res, path, query, grant, base64, headers });
  if (body === undefined) return;
  headers['upstash-sync-token'] = syncToken();
  sendJson(res, 200, body, headers);
}

/** `/healthz`: 200 when every ACL user's connection answers PING, else 503. No token needed. */
async function health(state: ProxyState, res: ServerResponse, headers: Record<string, string>) {
  if (state.draining) return sendJson(res, 503, { status: 'draining' }, headers);
  const pings = await Promise.allSettled(
    state.backends.all.map((executor) =>
      executor.send(['PING'], { timeoutMs: state.healthTimeoutMs }),
    ),
  );
  // An ACL user without PING still proves the server answers.
  const down = pings.find(
    (p) => p.status === 'rejected' && !(p.reason instanceof ValkeyCommandError),
  );
  if (down === undefined)
    return sendJson(res, 200, { status: 'ok', backend: 'reachable' }, headers);
  const error = String((down as PromiseRejectedResult).reason?.message ?? down);
  sendJson(res, 503, { status: 'unavailable', backend: 'unreachable', error }, headers);
}

function fail(
  state: ProxyState,
  res: ServerResponse,
  id: string,
  error: unknown,
  headers: Record<string, string>,
): void {
  if (res.headersSent) {
    state.log.logger.error({ id, err: describe(error) }, 'request failed after the response began');
    res.destroy();
    return;
  }
  if (error instanceof HttpError) {
    if (error instanceof DeniedError) {
      state.log.limited(
        'warn',
        `denied:${error.entry}`,
        { id, command: error.entry },
        'denied command',
      );
    } else if (error.status === 503) {
      state.log.limited('error', 'unavailable', { id, err: error.message }, 'answered 503');
    } else if (error.status === 413) {
      state.log.limited('warn', 'too-large', { id }, 'request body over the limit');
    }
    sendJson(res, error.status, { error: error.message }, { ...headers, ...error.headers });
    return;
  }
  state.log.logger.error({ id, err: describe(error) }, 'request failed');
  sendJson(
    res,
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
function logCompletion(state: ProxyState, req: IncomingMessage, res: ServerResponse, id: string) {
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
