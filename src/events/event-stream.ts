import { waitFor } from '../blocking.js';
import { encodeValue, jsonCodec, validateCodec, type Codec } from '../codec.js';
import type { CommandExecutor, Reply } from '../executor.js';
import { resourceKeys, validateName } from '../keys.js';
import { replyArray, replyText } from '../reply.js';
import { checkOptions, integerIn, positiveMs } from '../validate.js';
import {
  cursorBefore,
  DATA_FIELD,
  decodeEvents,
  missedAfter,
  sequenceOf,
  START_CURSOR,
  TYPE_FIELD,
  validateCursor,
  withGap,
} from './cursor.js';
import { subscribeDurable } from './durable.js';
import { publishScript, readScript } from './scripts.js';
import { PullSubscription, SUBSCRIBE_WAIT_MS } from './subscription.js';
import type {
  DurableOptions,
  DurableSubscription,
  EventStream,
  EventStreamOptions,
  PublishOptions,
  Published,
  ReadOptions,
  ReadResult,
  StreamItem,
  SubscribeOptions,
  Subscription,
} from './types.js';

const DEFAULT_MAX_LEN = 10_000;
const DEFAULT_MAX_EVENT_BYTES = 1024 * 1024;
const DEFAULT_COUNT = 100;
const MAX_COUNT = 10_000;

/** The keys of stream `name`, all with the hash tag `{e:<name>}` so they share one slot. */
export function eventStreamKeys(prefix: string, name: string): { stream: string; last: string } {
  const key = resourceKeys(prefix, `e:${name}`);
  return { stream: key('stream'), last: key('last') };
}

/** The event stream on one Valkey stream; see `EventStream`. */
export class ValkeyEventStream<T = unknown> implements EventStream<T> {
  readonly name: string;
  readonly executor: CommandExecutor;
  readonly keys: { stream: string; last: string };
  readonly codec: Codec<T>;
  readonly #retention: [maxLen: number, maxAgeMs: number];
  readonly #maxEventBytes: number;

  constructor(
    executor: CommandExecutor,
    prefix: string,
    name: string,
    options: EventStreamOptions<T> = {},
  ) {
    this.name = validateName('event stream', name);
    checkOptions('event stream options', options, '{ maxLen, maxAgeMs }');
    this.executor = executor;
    this.keys = eventStreamKeys(prefix, name);
    this.codec = validateCodec(options.codec ?? (jsonCodec as Codec<T>));
    const maxAgeMs = options.maxAgeMs === undefined ? 0 : positiveMs('maxAgeMs', options.maxAgeMs);
    const defaultMaxLen = options.maxAgeMs === undefined ? DEFAULT_MAX_LEN : 0;
    const maxLen =
      options.maxLen === undefined
        ? defaultMaxLen
        : integerIn('maxLen', options.maxLen, 1, Number.MAX_SAFE_INTEGER);
    this.#retention = [maxLen, maxAgeMs];
    this.#maxEventBytes = integerIn(
      'maxEventBytes',
      options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES,
      1,
      512 * 1024 * 1024,
    );
  }

  async publish(data: T, options: PublishOptions = {}): Promise<Published> {
    checkOptions('publish options', options, '{ type }');
    const text = encodeValue(this.codec, data, this.#maxEventBytes, 'event data');
    const fields = [DATA_FIELD, text];
    if (options.type !== undefined)
      fields.push(TYPE_FIELD, validateName('event type', options.type));
    const reply = await publishScript.run(
      this.executor,
      [this.keys.stream, this.keys.last],
      [...this.#retention, ...fields],
    );
    const id = replyText(reply, publishScript.name);
    return { id, seq: sequenceOf(id) };
  }

  async read(options: ReadOptions = {}): Promise<ReadResult<T>> {
    checkOptions('read options', options, '{ after, count }');
    const after = validateCursor(options.after ?? START_CURSOR, 'after');
    const count = integerIn('count', options.count ?? DEFAULT_COUNT, 1, MAX_COUNT);
    const reply = await readScript.run(
      this.executor,
      [this.keys.stream, this.keys.last],
      [after, count],
    );
    const [entries, last] = replyArray(reply, readScript.name) as [Reply, string];
    const events = decodeEvents(this.codec, entries, this.name, true);
    const first = events[0];
    if (first) {
      return { events, cursor: events.at(-1)!.id, missed: missedAfter(after, first.seq) };
    }
    // Nothing after the cursor is retained: events up to the last one published were lost.
    const missed = missedAfter(after, sequenceOf(last) + 1);
    return { events, cursor: missed > 0 ? last : after, missed };
  }

  async subscribe(options: SubscribeOptions = {}): Promise<Subscription<T>> {
    checkOptions('subscribe options', options, "{ from: 'earliest' }");
    const count = integerIn('count', options.count ?? DEFAULT_COUNT, 1, MAX_COUNT);
    const from = options.from ?? 'latest';
    let cursor: string;
    if (from === 'earliest') cursor = START_CURSOR;
    else if (from === 'latest') cursor = await this.#lastId();
    else cursor = validateCursor(from, 'from');
    return new PullSubscription<T>(
      cursor,
      (after, signal) => this.#fetchItems(after, count, signal),
      options.signal,
    );
  }

  durable(options: DurableOptions): Promise<DurableSubscription<T>> {
    return subscribeDurable(this, options);
  }

  /** The id of the last event published, read on the server, so 'latest' has no race. */
  async #lastId(): Promise<string> {
    const reply = await this.executor.send(['GET', this.keys.last]);
    return reply === null ? START_CURSOR : replyText(reply, 'GET');
  }

  /** Reads after the cursor; when nothing is there, waits for new events. */
  async #fetchItems(after: string, count: number, signal: AbortSignal): Promise<StreamItem<T>[]> {
    const poll = async (): Promise<StreamItem<T>[] | null> => {
      const result = await this.read({ after, count });
      const gapCursor = result.events[0] ? cursorBefore(result.events[0].id) : result.cursor;
      const items = withGap(result.missed, gapCursor, result.events);
      return items.length > 0 ? items : null;
    };
    const ready = await poll();
    if (ready) return ready;
    const waited = await waitFor(
      this.executor,
      {
        command: (blockMs) => [
          'XREAD',
          'COUNT',
          count,
          'BLOCK',
          blockMs,
          'STREAMS',
          this.keys.stream,
          after,
        ],
        parse: (reply) => (reply === null ? null : this.#parseXread(reply, after)),
        poll,
      },
      SUBSCRIBE_WAIT_MS,
      signal,
    );
    return waited ?? [];
  }

  #parseXread(reply: Reply, after: string): StreamItem<T>[] {
    const [stream] = replyArray(reply, 'XREAD') as [Reply[]];
    const events = decodeEvents(this.codec, stream[1] ?? [], this.name, true);
    const first = events[0];
    if (!first) return [];
    return withGap(missedAfter(after, first.seq), cursorBefore(first.id), events);
  }
}
