/** Options of one queue handle. */
export interface QueueOptions {
  /**
   * Lease duration in ms: a leased message not acked or renewed within it is delivered again.
   * Default 30000.
   */
  leaseMs?: number;
  /** Largest encoded body accepted by `enqueue`, in bytes. Default 1 MiB. */
  maxBodyBytes?: number;
}

export interface EnqueueOptions {
  /** String headers stored with the message (trace ids, content types). */
  headers?: Record<string, string>;
}

export interface EnqueueResult {
  /** Stream entry id of the message. */
  id: string;
}

export interface LeaseOptions {
  /** Name of the consumer taking the lease; acks and renewals must come from it. */
  consumer: string;
  /** Most messages to lease at once. Default 1. */
  count?: number;
  /** Time to wait for a message when none is ready, in ms. Default 0 (return at once). */
  waitMs?: number;
}

/** A message leased to one consumer until its lease expires. */
export interface LeasedMessage<T = unknown> {
  id: string;
  body: T;
  headers: Record<string, string>;
  /** How many times the message was delivered, this delivery included. Fences the lease. */
  deliveryCount: number;
  consumer: string;
}

/** An at-least-once work queue with leases. */
export interface MessageQueue<T = unknown> {
  readonly name: string;
  /** Appends a message (JSON value, or raw bytes as `Uint8Array`) in one round trip. */
  enqueue(body: T, options?: EnqueueOptions): Promise<EnqueueResult>;
  /**
   * Leases up to `count` messages: first those whose lease expired, then new ones in order.
   * One round trip when messages are ready.
   */
  lease(options: LeaseOptions): Promise<LeasedMessage<T>[]>;
  /** Removes a leased message. Rejects with `LeaseLostError` when this lease is no longer held. */
  ack(message: LeasedMessage<T>): Promise<void>;
  /** Restarts the lease clock. Rejects with `LeaseLostError` when this lease is no longer held. */
  renew(message: LeasedMessage<T>): Promise<void>;
}
