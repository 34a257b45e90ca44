// Helpers shared by the queue test files.
import type { LeasedMessage, MessageQueue } from '../../src/node/index.js';

export function queueName(): string {
  return `q-${crypto.randomUUID().slice(0, 8)}`;
}

/** Leases until `count` messages arrived (or a lease comes back empty), in delivery order. */
export async function leaseAll<T>(
  queue: MessageQueue<T>,
  count: number,
  consumer = 'collector',
): Promise<LeasedMessage<T>[]> {
  const out: LeasedMessage<T>[] = [];
  while (out.length < count) {
    const batch = await queue.lease({ consumer, count: Math.min(1000, count - out.length) });
    if (batch.length === 0) break;
    out.push(...batch);
  }
  return out;
}

/** Waits until `check` returns true, polling every 20 ms; fails after `timeoutMs`. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline)
      throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
