import { waitFor } from '../blocking.js';
import type { CommandExecutor, Reply } from '../executor.js';
import { replyArray } from '../reply.js';

/**
 * Waits up to `waitMs` for a reply pushed on `key`: BLPOP where the server can block, LPOP with
 * backoff where it cannot (Upstash, a full proxy pool). Returns the reply text, or null when none
 * arrived in time. The result is settled at `waitMs` even when a blocking call queued behind other
 * requests would return later.
 */
export function waitForReply(
  executor: CommandExecutor,
  key: string,
  waitMs: number,
): Promise<string | null> {
  const text = (reply: Reply) => (reply === null ? null : String(reply));
  const waiting = waitFor(
    executor,
    {
      // BLPOP takes seconds; a zero timeout would block forever, hence the floor of 1 ms.
      command: (blockMs) => ['BLPOP', key, (Math.max(blockMs, 1) / 1000).toFixed(3)],
      parse: (reply) => (reply === null ? null : text(replyArray(reply, 'BLPOP')[1] ?? null)),
      poll: async () => text(await executor.send(['LPOP', key])),
    },
    Math.max(waitMs, 1),
  );
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<null>((resolve) => (timer = setTimeout(resolve, waitMs, null)));
  return Promise.race([waiting, expired]).finally(() => clearTimeout(timer));
}
