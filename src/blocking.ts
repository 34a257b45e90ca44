import { ConnectionError, ValkeyCommandError } from './errors.js';
import type { Command, CommandExecutor, Reply } from './executor.js';

/** Maximum time of one blocking call, in ms; longer waits are made of several calls. */
export const MAX_BLOCK_SLICE_MS = 10_000;
const POLL_MIN_MS = 20;
const POLL_MAX_MS = 250;

export interface BlockingWait<T> {
  /** Builds the blocking command that waits up to `blockMs`. */
  command: (blockMs: number) => Command;
  /** Reads the blocking command's reply; null means nothing arrived in time. */
  parse: (reply: Reply) => T | null;
  /** One non-blocking attempt, used where the server cannot block (Upstash, a full proxy pool). */
  poll: () => Promise<T | null>;
}

/**
 * Waits up to `waitMs` for a blocking command to return something. Over TCP it blocks on a
 * dedicated connection; over HTTP it blocks through the REST proxy and falls back to polling with
 * backoff when the server rejects blocking commands or its blocking pool is full. Aborting
 * `signal` ends the wait at once (the blocking call is cancelled) with the signal's reason.
 */
export async function waitFor<T>(
  executor: CommandExecutor,
  wait: BlockingWait<T>,
  waitMs: number,
  signal?: AbortSignal,
): Promise<T | null> {
  const deadline = Date.now() + waitMs;
  let canBlock = true;
  let pollDelay = POLL_MIN_MS;
  for (;;) {
    signal?.throwIfAborted();
    const remaining = deadline - Date.now();
    if (remaining <= 0) return null;
    if (canBlock) {
      const slice = Math.max(1, Math.min(remaining, MAX_BLOCK_SLICE_MS));
      try {
        const reply = await executor.send(wait.command(slice), { blockMs: slice, signal });
        const result = wait.parse(reply);
        if (result !== null) return result;
        continue;
      } catch (error) {
        signal?.throwIfAborted();
        if (executor.kind !== 'http' || !blockingUnavailable(error)) throw error;
        canBlock = false;
      }
    }
    const result = await wait.poll();
    if (result !== null) return result;
    await sleep(Math.min(pollDelay, Math.max(0, deadline - Date.now())), signal);
    pollDelay = Math.min(pollDelay * 2, POLL_MAX_MS);
  }
}

/** Whether an error means "this server will not block", as opposed to a real failure. */
function blockingUnavailable(error: unknown): boolean {
  if (error instanceof ConnectionError) return error.status === 503;
  return error instanceof ValkeyCommandError && /block/i.test(error.message);
}

/** Resolves after `ms`, or rejects with the signal's reason once `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (!signal) return new Promise((resolve) => setTimeout(resolve, ms));
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
