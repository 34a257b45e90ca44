import { sleep, waitFor } from '../blocking.js';
import { ValkeyCommandError } from '../errors.js';
import type { CommandExecutor, Reply } from '../executor.js';
import { GROUP } from '../queue/scripts.js';

/**
 * Waits up to `waitMs` until a queue stream holds an entry its consumer group has not delivered
 * yet, without leasing it. Instances wait with this instead of a blocking XREADGROUP so that
 * they claim work only when they decide to lease: a frozen or draining instance holding a
 * blocked read would otherwise be handed requests it cannot or must not run.
 * Resolves true when such an entry exists, false when the time ran out.
 */
export async function waitForUndelivered(
  executor: CommandExecutor,
  stream: string,
  waitMs: number,
): Promise<boolean> {
  const after = await lastDeliveredId(executor, stream);
  if (after === undefined) {
    // No group yet (nothing was ever leased): the next lease creates it.
    await sleep(waitMs);
    return false;
  }
  const found = await waitFor(
    executor,
    {
      command: (blockMs) => ['XREAD', 'COUNT', 1, 'BLOCK', blockMs, 'STREAMS', stream, after],
      parse: (reply) => (reply === null ? null : true),
      poll: async () =>
        (await executor.send(['XREAD', 'COUNT', 1, 'STREAMS', stream, after])) === null
          ? null
          : true,
    },
    waitMs,
  );
  return found ?? false;
}

/** The id of the last entry the consumer group delivered, or undefined when it has no group. */
async function lastDeliveredId(
  executor: CommandExecutor,
  stream: string,
): Promise<string | undefined> {
  let groups: Reply;
  try {
    groups = await executor.send(['XINFO', 'GROUPS', stream]);
  } catch (error) {
    // ERR no such key: the stream does not exist yet.
    if (error instanceof ValkeyCommandError) return undefined;
    throw error;
  }
  if (!Array.isArray(groups)) return undefined;
  for (const group of groups as Reply[][]) {
    const fields = new Map<string, Reply>();
    for (let i = 0; i + 1 < group.length; i += 2) fields.set(String(group[i]), group[i + 1]!);
    if (fields.get('name') === GROUP) return String(fields.get('last-delivered-id'));
  }
  return undefined;
}
