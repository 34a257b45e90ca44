import { sleep } from '../blocking.js';
import type { CommandExecutor } from '../executor.js';
import type { LeasedMessage, MessageQueue } from '../queue/types.js';
import type { RequestFrame } from './frames.js';
import { waitForUndelivered } from './queue-wake.js';
import type { ReportedStatus } from './registry-types.js';

/** Head start an idle instance gets over a busy one when both wake for the same request, in ms. */
const BUSY_DELAY_MS = 1;

export interface ConsumerSettings {
  queue: MessageQueue<RequestFrame>;
  executor: CommandExecutor;
  stream: string;
  consumer: string;
  concurrency: number;
  pollMs: number;
  degradedDelayMs: number;
  status: () => ReportedStatus;
  /** Whether the instance may take requests (false once its heartbeats went unacknowledged). */
  mayLease: () => boolean;
  handle: (message: LeasedMessage<RequestFrame>) => Promise<void>;
  report: (error: unknown) => void;
}

/**
 * Takes request frames from a service version's shared queue and runs them. Instances pull, so
 * the gateway's preferences become pull rules: an instance leases only up to its free slots, an
 * idle instance leases at once while a busy one waits a moment first, and a Degraded instance waits
 * `degradedDelayMs`, so idle and Healthy instances claim new requests first and a Degraded one
 * takes what they leave. A Draining or fenced instance leases nothing.
 */
export class RequestConsumer {
  inFlight = 0;
  readonly #settings: ConsumerSettings;
  readonly #running = new Set<Promise<void>>();
  #stopping = false;
  #leasing: Promise<number> | undefined;
  #slotFreed: (() => void) | undefined;

  constructor(settings: ConsumerSettings) {
    this.#settings = settings;
  }

  async run(): Promise<void> {
    const s = this.#settings;
    let backoff = 50;
    while (!this.#stopping) {
      const free = s.concurrency - this.inFlight;
      if (free <= 0 || !s.mayLease()) {
        await this.#slotOrTimeout(free <= 0 ? s.pollMs : Math.min(s.pollMs, 100));
        continue;
      }
      const delay =
        s.status() === 'Degraded' ? s.degradedDelayMs : this.inFlight > 0 ? BUSY_DELAY_MS : 0;
      if (delay > 0) await sleep(delay);
      if (this.#stopping) break;
      try {
        this.#leasing = this.#lease(free);
        const count = await this.#leasing;
        if (count === 0) await waitForUndelivered(s.executor, s.stream, s.pollMs);
        backoff = 50;
      } catch (error) {
        if (this.#stopping) break;
        s.report(error);
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 2000);
      } finally {
        this.#leasing = undefined;
      }
    }
  }

  /** Stops leasing, then waits for the lease in progress and every request it started. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#slotFreed?.();
    await this.#leasing?.catch(() => undefined);
    await Promise.allSettled([...this.#running]);
  }

  /** Leases up to `count` frames and starts them; resolves to the number leased. */
  async #lease(count: number): Promise<number> {
    const s = this.#settings;
    const leased = await s.queue.lease({ consumer: s.consumer, count });
    for (const message of leased) this.#track(s.handle(message));
    return leased.length;
  }

  #track(task: Promise<void>): void {
    this.inFlight++;
    this.#running.add(task);
    void task.finally(() => {
      this.inFlight--;
      this.#running.delete(task);
      this.#slotFreed?.();
    });
  }

  #slotOrTimeout(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#slotFreed = done;
    });
  }
}
