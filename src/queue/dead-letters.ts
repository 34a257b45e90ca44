import { InvalidArgumentError } from '../errors.js';
import type { CommandExecutor } from '../executor.js';
import { replyArray, replyNumber, replyText } from '../reply.js';
import { checkOptions } from '../validate.js';
import { purgeAllScript, replayScript } from './admin-scripts.js';
import { decodeEntry } from './codec.js';
import { FIELD } from './lua-common.js';
import type { QueueKeys } from './queue-keys.js';
import type { DeadLetter, DeadLetterReason, DeadLetterSelection } from './types.js';
import { checkEntryId, checkInteger, LIMITS, optionalInteger } from './validate.js';

const DEFAULT_COUNT = 100;

/** Reads dead letters oldest first, after entry `after`, in one XRANGE. */
export async function listDeadLetters<T>(
  executor: CommandExecutor,
  keys: QueueKeys,
  options: { after?: string; count?: number } = {},
): Promise<DeadLetter<T>[]> {
  checkOptions('listDeadLetters options', options, '{ after, count }');
  const start = options.after === undefined ? '-' : `(${checkEntryId('after', options.after)}`;
  const count = optionalInteger('count', options.count, DEFAULT_COUNT);
  const reply = await executor.send(['XRANGE', keys.dead, start, '+', 'COUNT', count]);
  return replyArray(reply, 'XRANGE').map((item) => {
    const [id, fields] = replyArray(item, 'XRANGE');
    const entryId = replyText(id ?? null, 'XRANGE');
    const entry = decodeEntry(fields ?? null, entryId);
    return {
      id: entryId,
      messageId: entry.messageId ?? entryId,
      body: entry.body as T | undefined,
      headers: entry.headers,
      reason: (entry.map.get(FIELD.reason) ?? 'rejected') as DeadLetterReason,
      error: entry.failure ?? entry.error ?? '',
      deliveryCount: Number(entry.map.get(FIELD.deliveries) ?? 0),
      deadLetteredAt: Number(entryId.slice(0, entryId.indexOf('-'))),
    };
  });
}

/** Replays the selected dead letters in one script; returns how many were replayed. */
export async function replayDeadLetters(
  executor: CommandExecutor,
  keys: QueueKeys,
  selection: DeadLetterSelection = {},
): Promise<number> {
  checkOptions('replayDeadLetters selection', selection, '{ ids } or { count }');
  const args = selectionArgs(selection);
  const reply = await replayScript.run(executor, [keys.dead, keys.stream], args);
  return replyNumber(reply, replayScript.name);
}

/** Deletes the given dead letters, or all of them; returns how many were deleted. */
export async function purgeDeadLetters(
  executor: CommandExecutor,
  keys: QueueKeys,
  options: { ids?: readonly string[] } = {},
): Promise<number> {
  checkOptions('purgeDeadLetters options', options, '{ ids }');
  if (options.ids === undefined) {
    return replyNumber(await purgeAllScript.run(executor, [keys.dead], []), purgeAllScript.name);
  }
  const ids = checkIds(options.ids);
  if (ids.length === 0) return 0;
  return replyNumber(await executor.send(['XDEL', keys.dead, ...ids]), 'XDEL');
}

function selectionArgs(selection: DeadLetterSelection): string[] {
  if (selection.ids !== undefined) {
    if (selection.count !== undefined) checkInteger('count', selection.count);
    return ['ids', ...checkIds(selection.ids)];
  }
  return ['oldest', String(optionalInteger('count', selection.count, DEFAULT_COUNT))];
}

function checkIds(ids: readonly string[]): string[] {
  if (!Array.isArray(ids)) {
    throw new InvalidArgumentError('ids', ids, 'Pass an array of dead-letter entry ids.');
  }
  if (ids.length > LIMITS.count.max) checkInteger('count', ids.length, 'number of ids');
  return ids.map((id) => checkEntryId('dead-letter id', id));
}
