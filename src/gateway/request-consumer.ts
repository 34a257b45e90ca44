import { sleep } from '../blocking.js';
import type { CommandExecutor } from '../executor.js';
import type { LeasedMessage, MessageQueue } from '../queue/types.js';
import type { RequestFrame } from './frames.js';
import { waitForUndelivered } from './queue-wake.js';
import type { ReportedStatus } from './registry-types.js';

/**
 * Head start that an instance with fewer than half its slots busy gets over a busier one when
 * both wake for the same request, in ms. Below half load there is no delay, so a lone instance
 * at moderate load claims at once.
 */
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
 * the gateway's preference "Healthy before Degraded, then least in flight" becomes pull rules.
 * An instance leases only up to its free slots. One at half load or more waits a moment before
 * leasing, and a Degraded one waits `degradedDelayMs`, so emptier and Healthy instances claim
 * new requests first. A Draining or fenced instance leases nothing, and waiting never claims
 * (see `waitForUndelivered`).
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
      if (s.status() === 'Degraded') await sleep(s.degradedDelayMs);
      else if (this.inFlight * 2 >= s.concurrency) await sleep(BUSY_DELAY_MS);
      if (this.#stopping) break;
      try {
        this.#leasing = this.#lease(free);
        const count = await this.#leasing;
        // Fewer than asked for means nothing else was ready: wait for the next entry. The wait
        // returns at once if one arrived since, so nothing is missed.
        if (count < free) await waitForUndelivered(s.executor, s.stream, s.pollMs);
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
