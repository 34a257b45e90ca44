import { waitFor } from '../blocking.js';
import { EventDecodeError, InvalidArgumentError } from '../errors.js';
import type { Reply } from '../executor.js';
import { validateName } from '../keys.js';
import { replyArray, replyNumber, replyText } from '../reply.js';
import { integerIn, positiveMs } from '../validate.js';
import { cursorBefore, decodeEvents, START_CURSOR, validateCursor, withGap } from './cursor.js';
import type { ValkeyEventStream } from './event-stream.js';
import { ensureGroupScript, groupReadScript, pendingScript } from './scripts.js';
import { PullSubscription, SUBSCRIBE_WAIT_MS } from './subscription.js';
import type {
  DurableOptions,
  DurableSubscription,
  Published,
  StreamEvent,
  StreamItem,
} from './types.js';

const DEFAULT_COUNT = 100;
const DEFAULT_CLAIM_IDLE_MS = 60_000;

interface GroupReader<T> {
  events: ValkeyEventStream<T>;
  group: string;
  consumer: string;
  count: number;
  claimIdleMs: number;
  from: 'earliest' | 'latest';
  /** Id after which this consumer's pending events are re-read; null once all were. */
  pendingAfter: string | null;
  /** A decode failure to raise on the next fetch, after the events before it were returned. */
  failed?: EventDecodeError;
}

/**
 * Starts a durable subscription: creates the group if missing (so a 'latest' group starts where
 * the stream is when this resolves), re-delivers the events this consumer had not acked, then
 * delivers new events and those other consumers left unacked past `claimIdleMs`.
 */
export async function subscribeDurable<T>(
  events: ValkeyEventStream<T>,
  options: DurableOptions,
): Promise<DurableSubscription<T>> {
  const from = options.from ?? 'latest';
  if (from !== 'earliest' && from !== 'latest') {
    throw new InvalidArgumentError('from', from, 'Pass "earliest" or "latest".');
  }
  const reader: GroupReader<T> = {
    events,
    group: validateName('consumer group', options.group),
    consumer: validateName('consumer', options.consumer),
    count: integerIn('count', options.count ?? DEFAULT_COUNT, 1, 10_000),
    claimIdleMs: positiveMs('claimIdleMs', options.claimIdleMs ?? DEFAULT_CLAIM_IDLE_MS),
    from,
    pendingAfter: START_CURSOR,
  };
  const keys = [events.keys.stream, events.keys.last];
  await ensureGroupScript.run(events.executor, keys, [reader.group, from]);
  return new GroupSubscription(reader, options.signal);
}

class GroupSubscription<T> extends PullSubscription<T> implements DurableSubscription<T> {
  readonly #reader: GroupReader<T>;

  constructor(reader: GroupReader<T>, signal: AbortSignal | undefined) {
    super(START_CURSOR, (_cursor, abort) => fetchGroupItems(reader, abort), signal);
    this.#reader = reader;
  }

  async ack(event: Published): Promise<boolean> {
    const { events, group } = this.#reader;
    const id = validateCursor(event?.id, 'event id');
    const reply = await events.executor.send(['XACK', events.keys.stream, group, id]);
    return replyNumber(reply, 'XACK') === 1;
  }
}

async function fetchGroupItems<T>(
  reader: GroupReader<T>,
  signal: AbortSignal,
): Promise<StreamItem<T>[]> {
  const failed = reader.failed;
  if (failed) {
    reader.failed = undefined;
    throw failed;
  }
  if (reader.pendingAfter !== null) return readPending(reader);
  const first = await readGroup(reader);
  if (first.items.length > 0) return first.items;
  // Wake up when an event arrives after the group's position, or when claims may be due.
  const { events } = reader;
  const waited = await waitFor(
    events.executor,
    {
      command: (blockMs) => [
        'XREAD',
        'COUNT',
        1,
        'BLOCK',
        blockMs,
        'STREAMS',
        events.keys.stream,
        first.delivered,
      ],
      parse: (reply) => (reply === null ? null : []),
      poll: async () => {
        const polled = await readGroup(reader);
        return polled.items.length > 0 ? polled.items : null;
      },
    },
    Math.min(reader.claimIdleMs, SUBSCRIBE_WAIT_MS),
    signal,
  );
  return waited ?? [];
}

async function readPending<T>(reader: GroupReader<T>): Promise<StreamItem<T>[]> {
  const { events } = reader;
  const args = [reader.group, reader.consumer, reader.count, reader.pendingAfter!];
  const reply = await pendingScript.run(events.executor, [events.keys.stream], args);
  const [entries, missed, seen] = replyArray(reply, pendingScript.name) as [Reply, number, Reply];
  const ids = replyArray(seen, pendingScript.name);
  reader.pendingAfter = ids.length < reader.count ? null : replyText(ids.at(-1)!, 'XREADGROUP');
  const decoded = decodeGroupBatch(reader, entries);
  const gapCursor = decoded[0]
    ? cursorBefore(decoded[0].id)
    : (reader.pendingAfter ?? START_CURSOR);
  return withGap(missed, gapCursor, decoded);
}

async function readGroup<T>(
  reader: GroupReader<T>,
): Promise<{ items: StreamItem<T>[]; delivered: string }> {
  const { events } = reader;
  const args = [reader.group, reader.consumer, reader.count, reader.claimIdleMs, reader.from];
  const reply = await groupReadScript.run(
    events.executor,
    [events.keys.stream, events.keys.last],
    args,
  );
  const [entries, missed, delivered] = replyArray(reply, groupReadScript.name) as [
    Reply,
    number,
    string,
  ];
  const decoded = decodeGroupBatch(reader, entries);
  const gapCursor = decoded[0] ? cursorBefore(decoded[0].id) : delivered;
  return { items: withGap(missed, gapCursor, decoded), delivered };
}

/**
 * Decodes a batch the group delivered to this consumer. At an event the codec cannot decode, it
 * returns the events before it and raises `EventDecodeError` on the next fetch (at once when none
 * precede). The bad event stays pending until the caller acks it, and the events after it are
 * re-read from this consumer's pending list, so one bad event never holds back the rest.
 */
function decodeGroupBatch<T>(reader: GroupReader<T>, entries: Reply): StreamEvent<T>[] {
  const { events } = reader;
  try {
    return decodeEvents(events.codec, entries, events.name);
  } catch (error) {
    if (!(error instanceof EventDecodeError)) throw error;
    reader.pendingAfter = error.eventId;
    // Raises the error again when no event precedes the bad one.
    const before = decodeEvents(events.codec, entries, events.name, true);
    reader.failed = error;
    return before;
  }
}
