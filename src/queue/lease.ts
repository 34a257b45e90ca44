import { waitFor } from '../blocking.js';
import { InvalidArgumentError, ValkeyCommandError } from '../errors.js';
import type { CommandExecutor, Reply } from '../executor.js';
import { replyArray, replyNumber, replyText } from '../reply.js';
import { decodeEntry } from './codec.js';
import { CONFIG_MISMATCH, leaseScript } from './lease-script.js';
import { deadLetterScript } from './lease-scripts.js';
import { GROUP } from './lua-common.js';
import type { QueueKeys } from './queue-keys.js';
import type { LeasedMessage } from './types.js';

/** Maximum time a waiting lease blocks before it runs the lease script again, in ms. */
const RECLAIM_CHECK_MS = 1000;

/** What a lease call needs from its queue handle. */
export interface LeaseTarget {
  executor: CommandExecutor;
  keys: QueueKeys;
  queueName: string;
  /** Values the handle was given (undefined: use the stored ones), and the defaults. */
  leaseMs: number | undefined;
  maxDeliveries: number | undefined;
  defaults: { leaseMs: number; maxDeliveries: number };
}

export interface LeaseResult<T> {
  messages: LeasedMessage<T>[];
  /** The queue's stored lease duration, in ms. */
  leaseMs: number;
}

/**
 * Leases up to `count` messages, waiting up to `waitMs` when none is ready. While waiting it blocks
 * on new entries (a dedicated connection over TCP, bounded requests over HTTP) in slices no longer
 * than the time until the next delayed message is due or RECLAIM_CHECK_MS, and runs the lease
 * script between slices, so delayed and reclaimed messages are delivered while it waits too.
 * An aborted `signal` ends the wait at the next slice.
 */
export async function leaseMessages<T>(
  target: LeaseTarget,
  consumer: string,
  count: number,
  waitMs: number,
  signal?: AbortSignal,
): Promise<LeaseResult<T>> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const leased = await runLeaseScript<T>(target, consumer, count);
    const { leaseMs, wakeMs } = leased;
    const messages = await dropUndecodable(target, leased.messages);
    const remaining = deadline - Date.now();
    if (messages.length > 0 || remaining <= 0 || signal?.aborted) return { messages, leaseMs };
    let slice = Math.min(remaining, RECLAIM_CHECK_MS, leaseMs);
    if (wakeMs >= 0) slice = Math.min(slice, Math.max(1, wakeMs));
    try {
      const waited = await waitFor(
        target.executor,
        {
          command: (blockMs) => [
            ...['XREADGROUP', 'GROUP', GROUP, consumer, 'COUNT', count, 'BLOCK', blockMs],
            ...['STREAMS', target.keys.stream, '>'],
          ],
          parse: (reply) => nonEmpty(parseRead<T>(reply, consumer)),
          poll: async () => nonEmpty((await runLeaseScript<T>(target, consumer, count)).messages),
        },
        slice,
      );
      const decoded = waited === null ? [] : await dropUndecodable(target, waited);
      if (decoded.length > 0) return { messages: decoded, leaseMs };
    } catch (error) {
      // The stream and its group vanished (a restart without persistence, a deleted key): the
      // lease script recreates them on the next turn.
      if (!(error instanceof ValkeyCommandError && error.code === 'NOGROUP')) throw error;
    }
  }
}

async function runLeaseScript<T>(target: LeaseTarget, consumer: string, count: number) {
  const { keys } = target;
  let reply: Reply;
  try {
    reply = await leaseScript.run(
      target.executor,
      [keys.stream, keys.delayed, keys.scheduled, keys.prior, keys.dead, keys.meta],
      [
        consumer,
        count,
        target.leaseMs ?? '',
        target.maxDeliveries ?? '',
        target.defaults.leaseMs,
        target.defaults.maxDeliveries,
      ],
    );
  } catch (error) {
    throw configMismatch(target, error) ?? error;
  }
  const [leaseMs, wakeMs, claimed, read] = replyArray(reply, leaseScript.name);
  const messages = replyArray(claimed ?? null, leaseScript.name).map((item) => {
    const [id, fields, pending] = replyArray(item, leaseScript.name);
    const entryId = replyText(id ?? null, leaseScript.name);
    return toMessage<T>(entryId, fields ?? null, replyNumber(pending ?? null, 'pending'), consumer);
  });
  messages.push(...parseEntries<T>(read ?? null, consumer));
  return {
    messages,
    leaseMs: replyNumber(leaseMs ?? null, leaseScript.name),
    wakeMs: replyNumber(wakeMs ?? null, leaseScript.name),
  };
}

/** Turns the lease script's config error into an error that names the differing option. */
function configMismatch(target: LeaseTarget, error: unknown): InvalidArgumentError | undefined {
  if (!(error instanceof ValkeyCommandError) || error.code !== CONFIG_MISMATCH) return undefined;
  const [, storedLease, storedMax] = error.message.split(' ').map(Number);
  const option =
    target.leaseMs !== undefined && target.leaseMs !== storedLease
      ? { name: 'leaseMs', value: target.leaseMs, stored: storedLease }
      : { name: 'maxDeliveries', value: target.maxDeliveries, stored: storedMax };
  return new InvalidArgumentError(
    option.name,
    option.value,
    `Queue "${target.queueName}" stores ${option.name} ${option.stored}, which every consumer ` +
      `must share. Omit ${option.name} to use the stored value, or call ` +
      `configure({ ${option.name}: ${option.value} }) to change it for every consumer.`,
  );
}

function parseRead<T>(reply: Reply, consumer: string): ParsedMessage<T>[] {
  if (reply === null) return [];
  const [stream] = replyArray(reply, 'XREADGROUP');
  return parseEntries<T>(replyArray(stream ?? null, 'XREADGROUP')[1] ?? [], consumer);
}

/** Parses entries read with '>' (first deliveries of their entry). */
function parseEntries<T>(entries: Reply, consumer: string): ParsedMessage<T>[] {
  return replyArray(entries, 'XREADGROUP').map((item) => {
    const [id, fields] = replyArray(item, 'XREADGROUP');
    return toMessage<T>(replyText(id ?? null, 'XREADGROUP'), fields ?? null, 1, consumer);
  });
}

/** A leased entry, with why it could not be decoded when it could not. */
interface ParsedMessage<T> {
  message: LeasedMessage<T>;
  failure: string | undefined;
}

/** Builds a leased message; its delivery count adds the deliveries made before a re-add. */
function toMessage<T>(
  id: string,
  fields: Reply,
  pendingCount: number,
  consumer: string,
): ParsedMessage<T> {
  const entry = decodeEntry(fields, id);
  const message: LeasedMessage<T> = {
    id,
    messageId: entry.messageId ?? id,
    body: entry.body as T,
    headers: entry.headers,
    deliveryCount: pendingCount + entry.prior,
    consumer,
  };
  if (entry.error !== undefined) message.lastError = entry.error;
  return { message, failure: entry.failure };
}

/**
 * Moves leased entries that cannot be decoded (written by another client) to the dead-letter
 * stream and returns the others. Left in the batch, such an entry would fail every lease that
 * reads it, and the other messages of those batches would reach their delivery limit unhandled.
 */
async function dropUndecodable<T>(
  target: LeaseTarget,
  parsed: ParsedMessage<T>[],
): Promise<LeasedMessage<T>[]> {
  const messages: LeasedMessage<T>[] = [];
  for (const { message, failure } of parsed) {
    if (failure === undefined) {
      messages.push(message);
      continue;
    }
    const { stream, prior, dead } = target.keys;
    const args = [message.id, message.consumer, message.deliveryCount, failure];
    try {
      await deadLetterScript.run(target.executor, [stream, prior, dead], args);
    } catch {
      // The entry stays leased; it is read again, and dead-lettered, once its lease expires.
    }
  }
  return messages;
}

function nonEmpty<M>(messages: M[]): M[] | null {
  return messages.length > 0 ? messages : null;
}
