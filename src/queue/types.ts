export type * from './consume-types.js';
import type { ConsumeOptions, Consumer, MessageHandler } from './consume-types.js';

/**
 * Options of one queue handle. `leaseMs` and `maxDeliveries` belong to the queue, not the handle:
 * they are stored in Valkey with the queue so that every consumer applies the same values. The
 * first lease on a queue stores the values given here (or the defaults). A later handle that omits
 * them uses the stored values; one that passes different values gets an `InvalidArgumentError`
 * from `lease`, naming both values, until `configure()` changes the stored ones.
 */
export interface QueueOptions {
  /**
   * Lease duration in ms: a leased message not acked or renewed within it is delivered again.
   * Leases scan for expired leases at most every min(leaseMs / 4, 1000) ms, so redelivery can
   * come that much after expiry. Stored with the queue. Default 30000 (or the stored value).
   */
  leaseMs?: number;
  /**
   * Deliveries a message gets before it moves to the dead-letter stream. Stored with the queue.
   * Default 5 (or the stored value).
   */
  maxDeliveries?: number;
  /**
   * Largest message accepted by `enqueue`, in bytes: the body (UTF-8 JSON text, or the bytes of a
   * `Uint8Array`) plus its headers as JSON. Checked before anything is sent. Default 1 MiB.
   */
  maxBodyBytes?: number;
  /** Default dedupe window of `enqueue`, in ms. Default 300000 (5 minutes). */
  dedupeWindowMs?: number;
}

/** Queue settings stored in Valkey, shared by every handle and consumer of the queue. */
export interface QueueConfig {
  /** Lease duration in ms. */
  leaseMs: number;
  /** Deliveries before a message is dead-lettered. */
  maxDeliveries: number;
}

export interface EnqueueOptions {
  /** String headers stored with the message (trace ids, content types). */
  headers?: Record<string, string>;
  /** Time before the message becomes ready, in ms, measured on the server clock. Default 0. */
  delayMs?: number;
  /**
   * Dedupe key: while a message enqueued with this key is within its window, another enqueue with
   * the key adds nothing and returns the first message's id with `duplicate: true`.
   */
  dedupeKey?: string;
  /** Dedupe window for `dedupeKey`, in ms from the first enqueue. Default: the queue's. */
  dedupeWindowMs?: number;
}

/** One message of `enqueueBatch`. */
export interface BatchMessage<T = unknown> extends EnqueueOptions {
  body: T;
}

export interface EnqueueResult {
  /** Id of the message, stable across retries and delays (`LeasedMessage.messageId`). */
  id: string;
  /** True when `dedupeKey` matched a message within its window and nothing was added. */
  duplicate: boolean;
}

export interface LeaseOptions {
  /** Name of the consumer taking the lease; acks and renewals must come from it. */
  consumer: string;
  /** Maximum messages to lease at once, 1-1000. Default 1. */
  count?: number;
  /** Time to wait for a message when none is ready, in ms. Default 0 (return at once). */
  waitMs?: number;
}

/** A message leased to one consumer until its lease expires. */
export interface LeasedMessage<T = unknown> {
  /** Stream entry id of this delivery: the lease handle that `ack`, `renew` and `nack` check. */
  id: string;
  /** Id returned by `enqueue`; unlike `id` it stays the same when a retry re-adds the message. */
  messageId: string;
  body: T;
  headers: Record<string, string>;
  /** How many times the message was delivered, this delivery included. Fences the lease. */
  deliveryCount: number;
  consumer: string;
  /** Error recorded by the last `nack`, if any. */
  lastError?: string;
}

export interface NackOptions {
  /** Time before the message is delivered again, in ms. Default 0. */
  delayMs?: number;
  /** Why the delivery failed; kept with the message and shown in its dead letter. */
  error?: string;
}

/** What `nack` did with the message. */
export type NackOutcome = 'retried' | 'dead-lettered';

/** Why a message is in the dead-letter stream. */
export type DeadLetterReason =
  /** It was delivered `maxDeliveries` times without an ack. */
  | 'max-deliveries'
  /**
   * A consumer called `deadLetter`, or a lease read an entry it could not decode (one written by
   * another client); the dead letter's `error` then gives the reason and its body is undefined.
   */
  | 'rejected'
  /** Its stream entry was deleted (XDEL, XTRIM) while it was leased; only ids are left. */
  | 'payload-missing';

/** A message in the dead-letter stream. */
export interface DeadLetter<T = unknown> {
  /** Entry id in the dead-letter stream; pass it to `replayDeadLetters` or `purgeDeadLetters`. */
  id: string;
  messageId: string;
  /** The body, or undefined when the reason is `payload-missing`. */
  body: T | undefined;
  headers: Record<string, string>;
  reason: DeadLetterReason;
  /** The last error recorded for the message, or '' when none was. */
  error: string;
  deliveryCount: number;
  /** When the message was dead-lettered, in ms since the epoch (server clock). */
  deadLetteredAt: number;
}

export interface DeadLetterSelection {
  /** Dead-letter entry ids to act on. Default: the oldest `count` entries. */
  ids?: readonly string[];
  /** Maximum entries to act on when `ids` is not given, 1-1000. Default 100. */
  count?: number;
}

/** Counts of a queue's messages. */
export interface QueueStats {
  /** Messages ready to be leased. */
  ready: number;
  /** Messages leased and not acked, expired leases not yet reclaimed included. */
  leased: number;
  /** Messages waiting for their delay (delayed enqueues and delayed retries). */
  delayed: number;
  /** Messages in the dead-letter stream. */
  deadLettered: number;
  /** Age of the oldest ready message in ms (server clock), or null when none is ready. */
  oldestReadyAgeMs: number | null;
}

/** An at-least-once work queue with leases. */
export interface MessageQueue<T = unknown> {
  readonly name: string;
  /**
   * Appends a message (JSON value, or raw bytes as `Uint8Array`) in one round trip. Calls made in
   * the same tick share one round trip.
   */
  enqueue(body: T, options?: EnqueueOptions): Promise<EnqueueResult>;
  /**
   * Appends several messages in one round trip (one per 1 Mi characters of encoded messages);
   * results come back in order.
   */
  enqueueBatch(messages: readonly BatchMessage<T>[]): Promise<EnqueueResult[]>;
  /**
   * Leases up to `count` messages in one script: promotes due delayed messages, reclaims expired
   * leases, dead-letters messages over `maxDeliveries`, then reads new ones in order.
   */
  lease(options: LeaseOptions): Promise<LeasedMessage<T>[]>;
  /** Removes a leased message. Rejects with `LeaseLostError` when this lease is no longer held. */
  ack(message: LeasedMessage<T>): Promise<void>;
  /** Restarts the lease clock. Rejects with `LeaseLostError` when this lease is no longer held. */
  renew(message: LeasedMessage<T>): Promise<void>;
  /**
   * Gives a leased message back for another delivery after `delayMs`, or dead-letters it when it
   * had `maxDeliveries` deliveries. Rejects with `LeaseLostError` when the lease is not held.
   */
  nack(message: LeasedMessage<T>, options?: NackOptions): Promise<NackOutcome>;
  /** Moves a leased message to the dead-letter stream. Rejects with `LeaseLostError` when lost. */
  deadLetter(message: LeasedMessage<T>, options?: { error?: string }): Promise<void>;
  /** Runs `handler` on leased messages until stopped; see `ConsumeOptions`. */
  consume(handler: MessageHandler<T>, options?: ConsumeOptions): Consumer;
  stats(): Promise<QueueStats>;
  /** Reads the stored queue settings (defaults when none are stored yet). */
  config(): Promise<QueueConfig>;
  /** Changes the stored queue settings for every handle and consumer of the queue. */
  configure(config: Partial<QueueConfig>): Promise<QueueConfig>;
  /** Lists dead letters, oldest first, starting after the entry id `after`. */
  listDeadLetters(options?: { after?: string; count?: number }): Promise<DeadLetter<T>[]>;
  /**
   * Puts dead letters back on the queue as new messages (deliveries count from 1 again) and
   * removes them from the dead-letter stream, in one script, so each is replayed once.
   * `payload-missing` entries cannot be replayed and stay. Returns how many were replayed.
   */
  replayDeadLetters(selection?: DeadLetterSelection): Promise<number>;
  /** Deletes the given dead letters, or all of them. Returns how many were deleted. */
  purgeDeadLetters(options?: { ids?: readonly string[] }): Promise<number>;
}
