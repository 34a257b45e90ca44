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

export { eventually } from './eventually.js';

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
