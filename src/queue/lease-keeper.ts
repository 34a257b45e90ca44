import { LeaseLostError } from '../errors.js';
import type { LeasedMessage } from './types.js';

/** A message whose handler is running, with the signal that stops it. */
export interface LeaseTask<T> {
  message: LeasedMessage<T>;
  controller: AbortController;
  /**
   * Local time by which the lease surely ended if no renewal succeeds: the send time of the last
   * successful lease or renewal plus the lease duration. The server starts its clock later, so
   * a handler aborted at this time stops before another consumer can lease the message.
   */
  deadline: number;
}

interface KeeperQueue<T> {
  renew(message: LeasedMessage<T>): Promise<void>;
  release(message: LeasedMessage<T>, reason: string): Promise<void>;
}

/**
 * Renews the leases of running handlers every half lease duration (renewals issued together
 * share one script call), and aborts a handler whose lease was lost or whose deadline passed
 * while renewals kept failing.
 */
export class LeaseKeeper<T> {
  readonly #tasks = new Set<LeaseTask<T>>();
  #leaseMs = 30_000;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #renewing = false;
  #lastRenewal = 0;

  constructor(
    private readonly queue: KeeperQueue<T>,
    private readonly report: (error: unknown, message?: LeasedMessage<T>) => void,
  ) {}

  setLeaseMs(leaseMs: number): void {
    this.#leaseMs = leaseMs;
  }

  /** Starts renewing the lease of `message`, leased by a request sent at `sentAt`. */
  track(message: LeasedMessage<T>, sentAt: number): LeaseTask<T> {
    const task = { message, controller: new AbortController(), deadline: sentAt + this.#leaseMs };
    this.#tasks.add(task);
    this.#schedule();
    return task;
  }

  /** Stops renewing: the handler settled, and its ack or nack takes over. */
  untrack(task: LeaseTask<T>): void {
    this.#tasks.delete(task);
  }

  /** Aborts every running handler and gives its message back without counting the delivery. */
  async releaseAll(reason: string): Promise<void> {
    const tasks = [...this.#tasks];
    this.#tasks.clear();
    await Promise.all(
      tasks.map(async (task) => {
        task.controller.abort(new Error(reason));
        try {
          await this.queue.release(task.message, reason);
        } catch (error) {
          this.report(error, task.message);
        }
      }),
    );
  }

  close(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  // Ticks every quarter lease: each tick aborts handlers past their deadline and, when the last
  // renewal was sent half a lease ago and has settled, renews every running lease.
  #schedule(): void {
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#tick();
      if (this.#tasks.size > 0) this.#schedule();
    }, this.#leaseMs / 4);
  }

  #tick(): void {
    const now = Date.now();
    for (const task of this.#tasks) {
      if (now >= task.deadline) {
        this.#abort(task, new LeaseLostError(task.message.id, task.message.consumer));
      }
    }
    if (this.#renewing || now - this.#lastRenewal < this.#leaseMs / 2) return;
    this.#renewing = true;
    this.#lastRenewal = now;
    void this.#renewAll(now).finally(() => (this.#renewing = false));
  }

  async #renewAll(sentAt: number): Promise<void> {
    const tasks = [...this.#tasks];
    const results = await Promise.allSettled(tasks.map((task) => this.queue.renew(task.message)));
    results.forEach((result, i) => {
      const task = tasks[i]!;
      if (!this.#tasks.has(task)) return;
      if (result.status === 'fulfilled') task.deadline = sentAt + this.#leaseMs;
      else if (result.reason instanceof LeaseLostError) this.#abort(task, result.reason);
      else this.report(result.reason, task.message);
    });
  }

  #abort(task: LeaseTask<T>, error: LeaseLostError): void {
    this.#tasks.delete(task);
    task.controller.abort(error);
    this.report(error, task.message);
  }
}
