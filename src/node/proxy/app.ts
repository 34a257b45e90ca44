import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Logger } from 'pino';
import { ConnectionError, TimeoutError, ValkeyCommandError } from '../../errors.js';
import type { BatchReply, CommandExecutor } from '../../executor.js';
import type { TokenTable } from './auth.js';
import { requestToken } from './auth.js';
import { blockTimeMs } from './blocking-commands.js';
import { BadCommandError, parseCommand, parseCommandList } from './commands.js';
import { encodeResult } from './encode.js';
import type { CommandPolicy } from './policy.js';

export interface ProxyAppConfig {
  executor: CommandExecutor;
  tokens: TokenTable;
  policy: CommandPolicy;
  logger: Logger;
  maxBodyBytes: number;
  maxPipelineCommands: number;
  maxArgs: number;
  maxBlockMs: number;
}

type Env = { Variables: { requestId: string } };

/** Builds the Hono app that speaks the Upstash REST protocol in front of one executor. */
export function createProxyApp(config: ProxyAppConfig): Hono<Env> {
  const app = new Hono<Env>();
  let nextRequestId = 0;

  app.use('*', async (c, next) => {
    c.set('requestId', (++nextRequestId).toString(36));
    await next();
  });

  app.get('/healthz', async (c) => {
    try {
      await config.executor.send(['PING'], { timeoutMs: 1000 });
      return c.json({ status: 'ok', backend: 'reachable' });
    } catch (error) {
      return c.json({ status: 'degraded', backend: 'unreachable', error: String(error) }, 503);
    }
  });

  app.use('*', async (c, next) => {
    const token = requestToken(c.req.header('authorization'), c.req.url);
    if (!config.tokens.find(token)) {
      config.logger.warn(
        { requestId: c.get('requestId'), path: c.req.path },
        'rejected request: missing or invalid token',
      );
      return c.json(
        { error: 'Unauthorized: pass a valid token as "Authorization: Bearer <token>".' },
        401,
      );
    }
    await next();
  });

  app.use(
    '*',
    bodyLimit({
      maxSize: config.maxBodyBytes,
      onError: (c) =>
        c.json({ error: `Request body is over the limit of ${config.maxBodyBytes} bytes.` }, 413),
    }),
  );

  app.post('/', async (c) => {
    const command = parseCommand(await readJson(c), config.maxArgs, 'The body');
    checkPolicy(config, command);
    const blockMs = blockTimeMs(command, config.maxBlockMs);
    // A blocking read whose client went away would still take entries (XREADGROUP) that nobody
    // receives, so it is aborted with the request; the executor drops its connection.
    const signal = blockMs === undefined ? undefined : c.req.raw.signal;
    try {
      const reply = await config.executor.send(command, { bytes: true, blockMs, signal });
      return c.json({ result: encodeResult(reply, wantsBase64(c)) });
    } catch (error) {
      if (error instanceof ValkeyCommandError) return c.json({ error: error.message }, 400);
      if (signal?.aborted) {
        config.logger.debug({ requestId: c.get('requestId') }, 'client left a blocking command');
        // Nobody reads this response; 499 is the usual status for a request the client closed.
        return new Response(null, { status: 499 });
      }
      throw error;
    }
  });

  app.post('/pipeline', async (c) => {
    const commands = parseCommandList(
      await readJson(c),
      config.maxPipelineCommands,
      config.maxArgs,
    );
    commands.forEach((command) => {
      checkPolicy(config, command);
      if (blockTimeMs(command, config.maxBlockMs) !== undefined) {
        throw new BadCommandError(`${command[0]} blocks; send blocking commands alone to POST /.`);
      }
    });
    const replies = await config.executor.pipeline(commands, { bytes: true });
    return c.json(replies.map((reply) => encodeEntry(reply, wantsBase64(c))));
  });

  app.post('/multi-exec', async (c) => {
    const commands = parseCommandList(
      await readJson(c),
      config.maxPipelineCommands,
      config.maxArgs,
    );
    commands.forEach((command) => checkPolicy(config, command));
    try {
      const replies = await config.executor.transaction(commands, { bytes: true });
      return c.json(replies.map((reply) => encodeEntry(reply, wantsBase64(c))));
    } catch (error) {
      if (error instanceof ValkeyCommandError) return c.json({ error: error.message }, 400);
      throw error;
    }
  });

  app.notFound((c) =>
    c.json(
      {
        error: `No such endpoint: ${c.req.method} ${c.req.path}. Use POST /, /pipeline or /multi-exec.`,
      },
      404,
    ),
  );

  app.onError((error, c) => {
    const requestId = c.get('requestId');
    if (error instanceof BadCommandError) return c.json({ error: error.message }, 400);
    if (error instanceof DeniedError) {
      config.logger.warn({ requestId, command: error.entry }, 'denied command');
      return c.json({ error: error.message }, 403);
    }
    if (error instanceof ConnectionError || error instanceof TimeoutError) {
      config.logger.error({ requestId, err: error.message }, 'backend unavailable');
      return c.json({ error: `Valkey is unavailable: ${error.message}` }, 503);
    }
    config.logger.error({ requestId, err: error }, 'request failed');
    return c.json(
      { error: 'Internal proxy error; see the proxy log for the request id.', requestId },
      500,
    );
  });

  return app;
}

class DeniedError extends Error {
  constructor(readonly entry: string) {
    super(`Command ${entry} is denied by the proxy's policy; it is not available over REST.`);
  }
}

function checkPolicy(config: ProxyAppConfig, command: string[]): void {
  const entry = config.policy.deniedBy(command);
  if (entry !== undefined) throw new DeniedError(entry);
}

function encodeEntry(reply: BatchReply, base64: boolean): { result: unknown } | { error: string } {
  if (reply instanceof ValkeyCommandError) return { error: reply.message };
  return { result: encodeResult(reply, base64) };
}

function wantsBase64(c: Context): boolean {
  return c.req.header('upstash-encoding')?.toLowerCase() === 'base64';
}

async function readJson(c: Context): Promise<unknown> {
  const type = c.req.header('content-type');
  if (type !== undefined && !/^application\/json\s*(;|$)/i.test(type)) {
    throw new BadCommandError(
      `Content-Type ${JSON.stringify(type)} is not supported; send application/json.`,
    );
  }
  const text = await c.req.text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new BadCommandError(
      'The body is not valid JSON; send a JSON array such as ["GET","key"].',
    );
  }
}
