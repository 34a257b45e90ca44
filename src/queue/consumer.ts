import { sleep } from '../blocking.js';
import { InvalidArgumentError } from '../errors.js';
import { validateName } from '../keys.js';
import { checkOptions, optionalFunction } from '../validate.js';
import type { ConsumeOptions, Consumer, MessageHandler, StopOptions } from './consume-types.js';
import { LeaseKeeper, type LeaseTask } from './lease-keeper.js';
import type { LeaseResult } from './lease.js';
import type { LeasedMessage, LeaseOptions, NackOutcome, NackOptions } from './types.js';
import { errorText, optionalInteger } from './validate.js';

/** The queue operations the consumer loop uses. */
export interface ConsumerQueue<T> {
  leaseBatch(options: LeaseOptions, signal?: AbortSignal): Promise<LeaseResult<T>>;
  ack(message: LeasedMessage<T>): Promise<void>;
  renew(message: LeasedMessage<T>): Promise<void>;
  nack(message: LeasedMessage<T>, options?: NackOptions): Promise<NackOutcome>;
  release(message: LeasedMessage<T>, reason: string): Promise<void>;
}

const DEFAULT_WAIT_MS = 5000;
const DEFAULT_STOP_TIMEOUT_MS = 30_000;
const LEASE_RETRY_MIN_MS = 50;
const LEASE_RETRY_MAX_MS = 2000;

/** Default retry delay: 1 s doubled per delivery, at most 60 s. */
function defaultRetryDelay(deliveryCount: number): number {
  return Math.min(1000 * 2 ** Math.min(deliveryCount - 1, 16), 60_000);
}

/**
 * Leases messages while slots are free and runs the handler on each: acks on success, nacks with
 * a retry delay on failure. A `LeaseKeeper` renews the leases of running handlers and aborts a
 * handler whose lease is lost.
 */
export class QueueConsumer<T> implements Consumer {
  readonly name: string;
  readonly stopped: Promise<void>;
  readonly #queue: ConsumerQueue<T>;
  readonly #handler: MessageHandler<T>;
  readonly #concurrency: number;
  readonly #waitMs: number;
  readonly #retryDelay: (deliveryCount: number) => number;
  readonly #onError: ConsumeOptions['onError'];
  readonly #keeper: LeaseKeeper<T>;
  /** Handlers running now; a slot frees when a handler settles, before its ack returns. */
  #active = 0;
  /** Tasks not finished yet (handler, then ack or nack). */
  readonly #tasks = new Set<Promise<void>>();
  #running = true;
  readonly #stopping = new AbortController();
  #stopTimeoutMs = DEFAULT_STOP_TIMEOUT_MS;
  #wake: (() => void) | undefined;

  constructor(queue: ConsumerQueue<T>, handler: MessageHandler<T>, options: ConsumeOptions) {
    if (typeof handler !== 'function') {
      throw new InvalidArgumentError('handler', handler, 'Pass a function (message, { signal }).');
    }
    this.name = validateName('consumer', options.consumer ?? `c-${crypto.randomUUID()}`);
    this.#queue = queue;
    this.#handler = handler;
    this.#concurrency = optionalInteger('concurrency', options.concurrency, 1);
    this.#waitMs = optionalInteger('waitMs', options.waitMs, DEFAULT_WAIT_MS);
    this.#retryDelay = optionalFunction('retryDelayMs', options.retryDelayMs) ?? defaultRetryDelay;
    this.#onError = optionalFunction('onError', options.onError);
    const signal: unknown = options.signal;
    if (signal !== undefined && typeof (signal as AbortSignal)?.addEventListener !== 'function') {
      throw new InvalidArgumentError('signal', signal, 'Pass an AbortSignal or nothing.');
    }
    this.#keeper = new LeaseKeeper<T>(queue, (error, message) => this.#report(error, message));
    options.signal?.addEventListener('abort', () => void this.stop(), { once: true });
    this.stopped = this.#run();
  }

  stop(options: StopOptions = {}): Promise<void> {
    if (this.#running) {
      try {
        checkOptions('stop options', options, '{ timeoutMs }');
        this.#stopTimeoutMs = optionalInteger(
          'stopTimeoutMs',
          options.timeoutMs,
          DEFAULT_STOP_TIMEOUT_MS,
        );
      } catch (error) {
        return Promise.reject(error);
      }
      this.#running = false;
      this.#stopping.abort();
      this.#wake?.();
    }
    return this.stopped;
  }

  async #run(): Promise<void> {
    let retryMs = LEASE_RETRY_MIN_MS;
    while (this.#running) {
      const free = this.#concurrency - this.#active;
      if (free <= 0) {
        await new Promise<void>((resolve) => (this.#wake = resolve));
        continue;
      }
      const sentAt = Date.now();
      try {
        const { messages, leaseMs } = await this.#queue.leaseBatch(
          { consumer: this.name, count: free, waitMs: this.#waitMs },
          this.#stopping.signal,
        );
        retryMs = LEASE_RETRY_MIN_MS;
        this.#keeper.setLeaseMs(leaseMs);
        for (const message of messages) this.#start(this.#keeper.track(message, sentAt));
      } catch (error) {
        this.#report(error);
        await Promise.race([sleep(retryMs), new Promise<void>((r) => (this.#wake = r))]);
        retryMs = Math.min(retryMs * 2, LEASE_RETRY_MAX_MS);
      }
    }
    await this.#drain();
  }

  #start(task: LeaseTask<T>): void {
    this.#active++;
    const done = this.#process(task).finally(() => this.#tasks.delete(done));
    this.#tasks.add(done);
  }

  async #process(task: LeaseTask<T>): Promise<void> {
    const { message, controller } = task;
    let failure: unknown;
    let succeeded = false;
    try {
      await this.#handler(message, { signal: controller.signal });
      succeeded = true;
    } catch (error) {
      failure = error;
    } finally {
      this.#active--;
      this.#keeper.untrack(task);
      this.#wake?.();
    }
    // A lost lease was reported when the signal fired; a released message belongs to the queue.
    if (controller.signal.aborted) return;
    try {
      if (succeeded) await this.#queue.ack(message);
      else {
        const delayMs = this.#retryDelay(message.deliveryCount);
        await this.#queue.nack(message, { delayMs, error: errorText(failure) });
      }
    } catch (error) {
      this.#report(error, message);
    }
  }

  /** Waits for running tasks up to the stop timeout, then aborts and releases the rest. */
  async #drain(): Promise<void> {
    const all = Promise.allSettled([...this.#tasks]);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timedOut = await Promise.race([
      all.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(resolve, this.#stopTimeoutMs, true))),
    ]);
    clearTimeout(timer);
    if (timedOut) await this.#keeper.releaseAll('consumer stopped before the handler finished');
    this.#keeper.close();
  }

  #report(error: unknown, message?: LeasedMessage<T>): void {
    if (!this.#onError) return;
    try {
      this.#onError(error, message);
    } catch {
      // A failing error callback must not stop the loop.
    }
  }
}
