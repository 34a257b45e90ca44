import { InvalidArgumentError, ValkeyCommandError } from '../errors.js';
import type { CommandArg, CommandExecutor, Reply } from '../executor.js';
import { replyArray, replyText } from '../reply.js';
import { enqueueScript } from './admin-scripts.js';
import { encodeMessage } from './codec.js';
import type { QueueKeys } from './queue-keys.js';
import type { EnqueueOptions, EnqueueResult } from './types.js';
import { checkDedupeKey, optionalInteger } from './validate.js';

/** Most messages one enqueue script call carries; larger batches are pipelined in chunks. */
const CHUNK = 500;

/**
 * Most encoded text one request carries, in UTF-16 units; a larger batch goes in several requests,
 * one after another, in order. Even with every unit escaped as `\u00XX` in a REST request body
 * (6 bytes), 1 Mi units stay under the proxy's default body limit of 10 MiB.
 */
const MAX_REQUEST_UNITS = 1024 * 1024;

/** A message validated and encoded, ready for the enqueue script. */
export interface EncodedMessage {
  fields: string[];
  delayMs: number;
  dedupeKey: string | undefined;
  windowMs: number;
}

export interface EnqueueLimits {
  maxBodyBytes: number;
  dedupeWindowMs: number;
}

/** Validates and encodes one message; raises `InvalidArgumentError` before anything is sent. */
export function encodeForEnqueue(
  body: unknown,
  options: EnqueueOptions | undefined,
  limits: EnqueueLimits,
): EncodedMessage {
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw new InvalidArgumentError('enqueue options', options, 'Pass an object or nothing.');
  }
  const dedupeKey =
    options?.dedupeKey === undefined ? undefined : checkDedupeKey(options.dedupeKey);
  return {
    fields: encodeMessage(body, options?.headers, limits.maxBodyBytes),
    delayMs: optionalInteger('delayMs', options?.delayMs, 0),
    dedupeKey,
    windowMs: optionalInteger('dedupeWindowMs', options?.dedupeWindowMs, limits.dedupeWindowMs),
  };
}

/**
 * Sends encoded messages in one round trip (one per MAX_REQUEST_UNITS of encoded text, so a REST
 * server's body limit is not exceeded): one script call, or a pipeline of them. Messages
 * without a delay or dedupe key need no script, so a batch of only those is a pipeline of XADDs.
 * In bench/queue/profile.ts that cost Valkey under half the CPU per message of the script.
 * Batches over CHUNK take the script path, so a pipeline stays within REST servers' command
 * limits per request.
 */
export async function sendEnqueues(
  executor: CommandExecutor,
  keys: QueueKeys,
  messages: readonly EncodedMessage[],
): Promise<EnqueueResult[]> {
  const groups = groupBySize(messages);
  if (groups.length === 1) return sendGroup(executor, keys, messages);
  const results: EnqueueResult[] = [];
  for (const group of groups) results.push(...(await sendGroup(executor, keys, group)));
  return results;
}

/** Splits messages into runs of at most MAX_REQUEST_UNITS of encoded text (one message at least). */
function groupBySize(messages: readonly EncodedMessage[]): EncodedMessage[][] {
  const groups: EncodedMessage[][] = [];
  let current: EncodedMessage[] = [];
  let units = 0;
  for (const message of messages) {
    const size = message.fields.reduce((sum, field) => sum + field.length, 0);
    if (current.length > 0 && units + size > MAX_REQUEST_UNITS) {
      groups.push(current);
      current = [];
      units = 0;
    }
    current.push(message);
    units += size;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

async function sendGroup(
  executor: CommandExecutor,
  keys: QueueKeys,
  messages: readonly EncodedMessage[],
): Promise<EnqueueResult[]> {
  const plain = messages.every((m) => m.delayMs === 0 && m.dedupeKey === undefined);
  if (plain && messages.length <= CHUNK) {
    const replies = await executor.pipeline(
      messages.map((m) => ['XADD', keys.stream, '*', ...m.fields]),
    );
    return replies.map((reply) => {
      if (reply instanceof ValkeyCommandError) throw reply;
      return { id: replyText(reply, 'XADD'), duplicate: false };
    });
  }
  const calls: { keys: string[]; args: CommandArg[] }[] = [];
  for (let start = 0; start < messages.length; start += CHUNK) {
    calls.push(scriptCall(keys, messages.slice(start, start + CHUNK)));
  }
  let replies: Reply[];
  if (calls.length === 1) {
    replies = [await enqueueScript.run(executor, calls[0]!.keys, calls[0]!.args)];
  } else {
    const batch = await enqueueScript.runMany(executor, calls);
    replies = batch.map((reply) => {
      if (reply instanceof ValkeyCommandError) throw reply;
      return reply;
    });
  }
  return replies.flatMap((reply) => replyArray(reply, enqueueScript.name).map(parseResult));
}

function scriptCall(keys: QueueKeys, messages: readonly EncodedMessage[]) {
  const scriptKeys = [keys.stream, keys.delayed, keys.scheduled, keys.meta];
  const dedupeIndex = new Map<string, number>();
  const args: CommandArg[] = [];
  for (const message of messages) {
    let index = 0;
    if (message.dedupeKey !== undefined) {
      index = dedupeIndex.get(message.dedupeKey) ?? 0;
      if (index === 0) {
        scriptKeys.push(keys.dedupe(message.dedupeKey));
        index = scriptKeys.length;
        dedupeIndex.set(message.dedupeKey, index);
      }
    }
    args.push(message.delayMs, index, message.windowMs, message.fields.length, ...message.fields);
  }
  return { keys: scriptKeys, args };
}

function parseResult(item: Reply): EnqueueResult {
  const [id, duplicate] = replyArray(item, enqueueScript.name);
  return { id: replyText(id ?? null, enqueueScript.name), duplicate: duplicate === 1 };
}
