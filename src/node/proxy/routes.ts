import type { IncomingMessage } from 'node:http';
import type { Grant } from './auth.js';
import { parseCommand, parseCommandList } from './commands.js';
import { HttpError } from './http-error.js';
import { parseJsonBody, readBody } from './http-io.js';
import { pathCommand } from './path-command.js';
import { runOne, runPipeline, runTransaction, type Runner } from './run.js';
import type { Subscriptions } from './subscriptions.js';

export interface Limits {
  maxBodyBytes: number;
  maxPipelineCommands: number;
  maxArgs: number;
}

/** One authenticated request, as the routes see it. */
export interface RouteRequest {
  state: Runner & { limits: Limits; subscriptions: Subscriptions };
  incoming: IncomingMessage;
  method: string;
  /** The request target up to `?`, still percent-encoded. */
  path: string;
  /** The request target after `?`, or ''. */
  query: string;
  grant: Grant;
  base64: boolean;
  /** Response headers so far (request id, CORS); the SSE stream sends them too. */
  headers: Record<string, string>;
  /**
   * A signal that aborts when the client closes the connection before its response is sent. A
   * blocking read runs with it, because one whose client left would still take entries (such as
   * XREADGROUP's) that nobody receives.
   */
  clientGone(): AbortSignal;
}

const JSON_METHODS = ['POST', 'PUT'];
const PATH_METHODS = ['GET', 'HEAD', 'POST', 'PUT'];

/** `POST /` with a JSON array body such as `["GET","key"]`. */
export async function runBodyCommand(request: RouteRequest): Promise<unknown> {
  const { state, grant, base64 } = request;
  allow(request, JSON_METHODS, 'POST / with a JSON array body such as ["GET","key"]');
  const command = parseCommand(await readJson(request), state.limits.maxArgs, 'The body');
  return runOne(state, grant, command, base64, request.clientGone);
}

/**
 * Builds the route of `POST /pipeline` or `POST /multi-exec`, whose body is a JSON array of
 * commands. The route, not the path, picks which: Hono routes `/%70ipeline` to `/pipeline` too.
 */
export function batchRoute(transaction: boolean) {
  const endpoint = transaction ? '/multi-exec' : '/pipeline';
  const run = transaction ? runTransaction : runPipeline;
  return async (request: RouteRequest): Promise<unknown> => {
    const { state, grant, base64 } = request;
    allow(request, JSON_METHODS, `POST ${endpoint} with a JSON array of commands`);
    const { maxArgs, maxPipelineCommands } = state.limits;
    const commands = parseCommandList(await readJson(request), maxPipelineCommands, maxArgs);
    return run(state, grant, commands, base64, request.clientGone);
  };
}

/** Builds the route of `/subscribe/<channel>` or `/psubscribe/<pattern>`: an SSE stream. */
export function subscribeRoute(pattern: boolean) {
  const endpoint = pattern ? '/psubscribe/<pattern>' : '/subscribe/<channel>';
  return async (request: RouteRequest): Promise<Response> => {
    const { state, path } = request;
    allow(request, ['GET', 'POST'], `POST ${endpoint} with Accept: text/event-stream`);
    const names = pathCommand(path, '', undefined, state.limits.maxArgs).slice(1);
    if (names.some((name) => name === '')) {
      throw new HttpError(400, `Name the channel or pattern: ${endpoint}.`);
    }
    return state.subscriptions.serve(request.grant, pattern, names, request.headers);
  };
}

/** The path form: `/cmd/arg/...`, an optional raw body, query pairs. */
export async function runPathForm(request: RouteRequest): Promise<unknown> {
  const { state, method, path, query } = request;
  allow(request, PATH_METHODS, 'GET /<command>/<arg>/... or POST with the last argument as body');
  const hasBody = method === 'POST' || method === 'PUT';
  const body = hasBody ? await readBody(request.incoming, state.limits.maxBodyBytes) : undefined;
  const command = pathCommand(path, query, body, state.limits.maxArgs);
  try {
    return await runOne(state, request.grant, command, request.base64, request.clientGone);
  } catch (error) {
    // An unknown command in the path form is an unknown URL to the client.
    if (
      error instanceof HttpError &&
      error.status === 400 &&
      /^ERR unknown command/.test(error.message)
    ) {
      throw new HttpError(
        404,
        `No such endpoint: ${method} ${path}. Use POST /, /pipeline, /multi-exec, or /<command>/<arg>/... with a Valkey command.`,
      );
    }
    throw error;
  }
}

async function readJson(request: RouteRequest): Promise<unknown> {
  const body = await readBody(request.incoming, request.state.limits.maxBodyBytes);
  return parseJsonBody(request.incoming, body);
}

function allow(request: RouteRequest, methods: string[], usage: string): void {
  if (methods.includes(request.method)) return;
  throw new HttpError(405, `Method ${request.method} is not allowed here; use ${usage}.`, {
    allow: methods.join(', '),
  });
}
