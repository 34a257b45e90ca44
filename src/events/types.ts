import type { Codec } from '../codec.js';

/** Options of an event stream handle. */
export interface EventStreamOptions<T = unknown> {
  /** Turns event data into stored text and back. Default `jsonCodec`. */
  codec?: Codec<T>;
  /**
   * Keeps about this many of the most recent events (`MAXLEN ~`, so a few more may stay until a
   * whole node of the stream can go). Default 10000, or none when only `maxAgeMs` is set.
   */
  maxLen?: number;
  /** Drops events older than this, in ms of server time (`MINID ~`). Default: none. */
  maxAgeMs?: number;
  /** Largest encoded event data accepted by `publish`, in bytes of UTF-8. Default 1 MiB. */
  maxEventBytes?: number;
}

export interface PublishOptions {
  /** Event type, e.g. `order.created`; the SSE helper sends it as the `event:` field. */
  type?: string;
}

/** The position of a published event. */
export interface Published {
  /** Stream id, `<server ms>-<sequence>`; also the cursor to read after this event. */
  id: string;
  /** Number of the event in its stream: 1 for the first, one more for each later event. */
  seq: number;
}

/** An event as readers receive it. */
export interface StreamEvent<T = unknown> extends Published {
  kind: 'event';
  type: string | undefined;
  data: T;
  /** Server time of the publish, in ms since the epoch. */
  timestamp: number;
}

/**
 * Events the reader missed because retention dropped them before they were read. Readers get it
 * in place of those events, so they can rebuild state from elsewhere.
 */
export interface StreamGap {
  kind: 'gap';
  /** How many events were lost. */
  missed: number;
  /** Cursor after the lost events. */
  cursor: string;
}

export type StreamItem<T = unknown> = StreamEvent<T> | StreamGap;

export interface ReadOptions {
  /** Cursor to read after: an event id, or `0-0` (the default) for the oldest retained event. */
  after?: string;
  /** Maximum events to return. Default 100. */
  count?: number;
}

export interface ReadResult<T = unknown> {
  events: StreamEvent<T>[];
  /** Cursor to pass as `after` for the next read. */
  cursor: string;
  /** Events lost to retention between `after` and the first returned event (0 normally). */
  missed: number;
}

export interface SubscribeOptions {
  /**
   * Where to start: `'earliest'` (the oldest retained event), `'latest'` (only events published
   * after `subscribe` resolves; the default) or a cursor saved from an earlier subscription.
   */
  from?: 'earliest' | 'latest' | (string & {});
  /** Most events fetched per round trip. Default 100. */
  count?: number;
  /** Ends the subscription when aborted. */
  signal?: AbortSignal;
}

/** An async iterator of events (and gaps); `close()` or `break` ends it. */
export interface Subscription<T = unknown> extends AsyncIterableIterator<StreamItem<T>> {
  /** Cursor after the last item returned: save it to resume with `subscribe({from})`. */
  readonly cursor: string;
  close(): Promise<void>;
}

export interface DurableOptions {
  /** Consumer group: each group receives every event once, shared among its consumers. */
  group: string;
  /** Name of this consumer; a restarted consumer with the same name gets its unacked events. */
  consumer: string;
  /** Where a group created now starts: `'earliest'` or `'latest'` (default). */
  from?: 'earliest' | 'latest';
  /** Most events fetched per round trip. Default 100. */
  count?: number;
  /**
   * Time an event may stay delivered but unacked before another consumer of the group takes it
   * over, in ms. Default 60000.
   */
  claimIdleMs?: number;
  /** Ends the subscription when aborted. */
  signal?: AbortSignal;
}

/** A consumer group subscription: events stay pending until acked. */
export interface DurableSubscription<T = unknown> extends Subscription<T> {
  /** Acknowledges an event so it is not delivered again. Returns false when it was not pending. */
  ack(event: Published): Promise<boolean>;
}

/** An append-only, replayable event stream with retention and resumable cursors. */
export interface EventStream<T = unknown> {
  readonly name: string;
  /** Appends an event and applies retention, in one round trip. */
  publish(data: T, options?: PublishOptions): Promise<Published>;
  /** Reads events after a cursor, in one round trip. */
  read(options?: ReadOptions): Promise<ReadResult<T>>;
  /** Starts a subscription; it resolves once its start position is fixed on the server. */
  subscribe(options?: SubscribeOptions): Promise<Subscription<T>>;
  /** Starts a durable subscription through a consumer group, creating the group if needed. */
  durable(options: DurableOptions): Promise<DurableSubscription<T>>;
}
