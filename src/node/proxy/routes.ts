import type { IncomingMessage, ServerResponse } from 'node:http';
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
  req: IncomingMessage;
  res: ServerResponse;
  path: string;
  query: string;
  grant: Grant;
  base64: boolean;
  /** Response headers so far (request id, CORS); the SSE stream sends them too. */
  headers: Record<string, string>;
}

const JSON_METHODS = ['POST', 'PUT'];
const PATH_METHODS = ['GET', 'HEAD', 'POST', 'PUT'];

/**
 * Runs the request and returns the JSON body of its 200 response, or undefined when the route
 * answered on its own (a subscription stream).
 */
export async function route(
  state: Runner & { limits: Limits; subscriptions: Subscriptions },
  request: RouteRequest,
): Promise<unknown> {
  const { req, path, grant, base64 } = request;
  const { maxArgs, maxPipelineCommands } = state.limits;
  const readJson = async () => parseJsonBody(req, await readBody(req, state.limits.maxBodyBytes));
  switch (path) {
    case '/':
      allow(req, JSON_METHODS, 'POST / with a JSON array body such as ["GET","key"]');
      return runOne(state, grant, parseCommand(await readJson(), maxArgs, 'The body'), base64);
    case '/pipeline':
    case '/multi-exec': {
      allow(req, JSON_METHODS, `POST ${path} with a JSON array of commands`);
      const commands = parseCommandList(await readJson(), maxPipelineCommands, maxArgs);
      const run = path === '/pipeline' ? runPipeline : runTransaction;
      return run(state, grant, commands, base64);
    }
  }
  if (path.startsWith('/subscribe/') || path.startsWith('/psubscribe/')) {
    allow(req, ['GET', 'POST'], `POST ${path} with Accept: text/event-stream`);
    const names = pathCommand(path, '', undefined, maxArgs).slice(1);
    if (names.some((name) => name === '')) {
      throw new HttpError(400, 'Name the channel or pattern: /subscribe/<channel>.');
    }
    const pattern = path.startsWith('/p');
    await state.subscriptions.serve(request.res, grant, pattern, names, request.headers);
    return undefined;
  }
  return runPathForm(state, request);
}

/** The path form: `/cmd/arg/...`, an optional raw body, query pairs. */
async function runPathForm(state: Runner & { limits: Limits }, request: RouteRequest) {
  const { req, path, query } = request;
  allow(req, PATH_METHODS, 'GET /<command>/<arg>/... or POST with the last argument as body');
  const hasBody = req.method === 'POST' || req.method === 'PUT';
  const body = hasBody ? await readBody(req, state.limits.maxBodyBytes) : undefined;
  const command = pathCommand(path, query, body, state.limits.maxArgs);
  try {
    return await runOne(state, request.grant, command, request.base64);
  } catch (error) {
    // An unknown command in the path form is an unknown URL to the client.
    if (
      error instanceof HttpError &&
      error.status === 400 &&
      /^ERR unknown command/.test(error.message)
    ) {
      throw new HttpError(
        404,
        `No such endpoint: ${req.method} ${path}. Use POST /, /pipeline, /multi-exec, or /<command>/<arg>/... with a Valkey command.`,
      );
    }
    throw error;
  }
}

function allow(req: IncomingMessage, methods: string[], usage: string): void {
  if (methods.includes(req.method ?? '')) return;
  throw new HttpError(405, `Method ${req.method} is not allowed here; use ${usage}.`, {
    allow: methods.join(', '),
  });
}
