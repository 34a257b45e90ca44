import type { LeasedMessage } from './types.js';

/** What a handler gets besides the message. */
export interface HandlerContext {
  /**
   * Aborted when the lease is lost (a renewal failed or the lease expired) or when `stop()` gave
   * up waiting; the reason is the error. Stop work and do not cause side effects after it fires.
   */
  signal: AbortSignal;
}

/** Handles one message. Resolving acks it; throwing nacks it with a backoff delay. */
export type MessageHandler<T> = (
  message: LeasedMessage<T>,
  context: HandlerContext,
) => unknown | Promise<unknown>;

export interface ConsumeOptions {
  /** Consumer name used for leases. Default: `c-` and a random id. */
  consumer?: string;
  /** Handlers running at once, 1-1000. Default 1. */
  concurrency?: number;
  /** Time each lease call waits for messages, in ms. Default 5000. */
  waitMs?: number;
  /**
   * Delay before a failed message is delivered again, in ms, given its delivery count. Default:
   * 1000 doubled per delivery, at most 60000.
   */
  retryDelayMs?: (deliveryCount: number) => number;
  /** Reports errors the loop handles itself (lease failures, lost leases, failed acks). */
  onError?: (error: unknown, message?: LeasedMessage<unknown>) => void;
  /** Stops the consumer like `stop()` when aborted. */
  signal?: AbortSignal;
}

export interface StopOptions {
  /**
   * Time to wait for running handlers, in ms. Handlers still running after it are aborted and their
   * messages given back at once, without counting the delivery. Default 30000.
   */
  timeoutMs?: number;
}

/** A running consumer loop. */
export interface Consumer {
  /** Consumer name its leases are held by. */
  readonly name: string;
  /**
   * Stops leasing, waits for running handlers (see `StopOptions`) and their acks, then resolves.
   * Calling it again returns the same promise.
   */
  stop(options?: StopOptions): Promise<void>;
  /** Resolves once the consumer has stopped. */
  readonly stopped: Promise<void>;
}
