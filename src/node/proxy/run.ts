import { ConnectionError, TimeoutError, ValkeyCommandError } from '../../errors.js';
import type { BatchReply, CommandOptions } from '../../executor.js';
import type { TcpExecutor } from '../tcp-executor.js';
import type { Grant } from './auth.js';
import type { Backends } from './backends.js';
import { blockTimeMs } from './blocking-commands.js';
import { withDeadline } from './deadline.js';
import { encodeEntry, encodeResult } from './encode.js';
import { BadCommandError, HttpError, UnavailableError } from './http-error.js';
import type { CommandPolicy } from './policy.js';

/** What running a request's commands needs. */
export interface Runner {
  policy: CommandPolicy;
  backends: Backends;
  /** Maximum total block time of one request, in ms. */
  maxBlockMs: number;
  /** Time a request's commands may take, in ms, beyond any block time. */
  timeoutMs: number;
}

const BYTES: CommandOptions = { bytes: true };

/** Runs one command (POST / and the path form) and returns the `{"result"}` body. */
export async function runOne(
  runner: Runner,
  grant: Grant,
  command: string[],
  base64: boolean,
  clientGone?: () => AbortSignal,
): Promise<{ result: unknown }> {
  runner.policy.check(command, grant.readOnly);
  const blockMs = blockTimeMs(command, runner.maxBlockMs);
  const executor = runner.backends.executor(grant);
  try {
    const reply =
      blockMs === undefined
        ? await withDeadline(executor.send(command, BYTES), runner.timeoutMs, command[0]!)
        : await runner.backends.withBlockingSlot(() =>
            executor.send(command, { bytes: true, blockMs, signal: clientGone?.() }),
          );
    return { result: encodeResult(reply, base64) };
  } catch (error) {
    throw toHttpError(error);
  }
}

/**
 * Runs a `/pipeline` body: every command is checked before any runs. Without blocking commands it
 * is one round trip on the user's shared connection; with them, it runs in order, each blocking
 * command on a dedicated connection, so the shared connection never waits behind one.
 */
export async function runPipeline(
  runner: Runner,
  grant: Grant,
  commands: string[][],
  base64: boolean,
  clientGone?: () => AbortSignal,
): Promise<unknown[]> {
  for (const command of commands) runner.policy.check(command, grant.readOnly);
  const blocks = commands.map((command) => blockTimeMs(command, runner.maxBlockMs));
  const totalBlockMs = blocks.reduce<number>((sum, ms) => sum + (ms ?? 0), 0);
  if (totalBlockMs > runner.maxBlockMs) {
    throw new BadCommandError(
      `The blocking commands of this pipeline may block for ${totalBlockMs} ms in total, over this proxy's limit of ${runner.maxBlockMs} ms.`,
    );
  }
  const executor = runner.backends.executor(grant);
  try {
    const replies =
      totalBlockMs === 0
        ? await withDeadline(executor.pipeline(commands, BYTES), runner.timeoutMs, 'pipeline')
        : await runner.backends.withBlockingSlot(() =>
            withDeadline(
              runInOrder(executor, commands, blocks, clientGone?.()),
              runner.timeoutMs + totalBlockMs,
              'pipeline',
            ),
          );
    return replies.map((reply) => encodeEntry(reply, base64));
  } catch (error) {
    throw toHttpError(error);
  }
}

/** Runs a `/multi-exec` body in MULTI/EXEC; a transaction Valkey discards is a 400. */
export async function runTransaction(
  runner: Runner,
  grant: Grant,
  commands: string[][],
  base64: boolean,
): Promise<unknown[]> {
  for (const command of commands) runner.policy.check(command, grant.readOnly);
  try {
    const replies = await runner.backends.executor(grant).transaction(commands, BYTES);
    return replies.map((reply) => encodeEntry(reply, base64));
  } catch (error) {
    throw toHttpError(error);
  }
}

async function runInOrder(
  executor: TcpExecutor,
  commands: string[][],
  blocks: (number | undefined)[],
  signal?: AbortSignal,
): Promise<BatchReply[]> {
  const replies: BatchReply[] = [];
  let batch: string[][] = [];
  const flush = async () => {
    if (batch.length > 0) replies.push(...(await executor.pipeline(batch, BYTES)));
    batch = [];
  };
  for (const [i, command] of commands.entries()) {
    const blockMs = blocks[i];
    if (blockMs === undefined) {
      batch.push(command);
      continue;
    }
    await flush();
    replies.push(
      await executor.send(command, { bytes: true, blockMs, signal }).catch((error: unknown) => {
        if (error instanceof ValkeyCommandError) return error;
        throw error;
      }),
    );
  }
  await flush();
  return replies;
}

/** Maps a failure to its response: server errors 400 (text verbatim), no backend 503. */
export function toHttpError(error: unknown): unknown {
  if (error instanceof HttpError) return error;
  if (error instanceof ValkeyCommandError) return new HttpError(400, error.message);
  if (error instanceof ConnectionError || error instanceof TimeoutError) {
    return new UnavailableError(`Valkey is unavailable: ${error.message}`);
  }
  return error;
}
