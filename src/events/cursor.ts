import { decodeValue, type Codec } from '../codec.js';
import { EventDecodeError, InvalidArgumentError } from '../errors.js';
import type { Reply } from '../executor.js';
import { replyArray } from '../reply.js';
import type { StreamEvent, StreamGap, StreamItem } from './types.js';

/** The cursor before the first event: reading after it starts at the oldest retained event. */
export const START_CURSOR = '0-0';

// Stream entry fields of an event.
export const DATA_FIELD = 'd';
export const TYPE_FIELD = 't';

const CURSOR = /^\d{1,20}-\d{1,20}$/;

/** Validates a cursor: an event id (`<ms>-<sequence>`) or `0-0`. */
export function validateCursor(cursor: unknown, argument = 'cursor'): string {
  if (typeof cursor !== 'string' || !CURSOR.test(cursor)) {
    throw new InvalidArgumentError(
      argument,
      cursor,
      'Pass an event id such as "1733312345678-42" (a cursor returned by read or a ' +
        'subscription), or "0-0" for the oldest retained event.',
    );
  }
  return cursor;
}

/** The sequence number part of an event id. */
export function sequenceOf(id: string): number {
  return Number(id.slice(id.indexOf('-') + 1));
}

/**
 * Counts the events lost between the cursor and the next event still retained (or, when none
 * is, the last event published). Nothing counts as lost after the start cursor, which means
 * "the oldest retained event".
 */
export function missedAfter(cursor: string, nextSequence: number): number {
  const after = sequenceOf(cursor);
  if (after === 0) return 0;
  return Math.max(0, nextSequence - after - 1);
}

/**
 * Decodes stream entries (`[id, [field, value, ...]]`) into events. An entry the codec cannot
 * decode raises `EventDecodeError`, unless `partial` is set and events precede it: those are then
 * returned alone, so a reader gets every event up to the bad one before the error.
 */
export function decodeEvents<T>(
  codec: Codec<T>,
  entries: Reply,
  stream: string,
  partial = false,
): StreamEvent<T>[] {
  const events: StreamEvent<T>[] = [];
  for (const entry of replyArray(entries, 'stream read')) {
    const [id, fields] = replyArray(entry, 'stream read') as [string, Reply[]];
    let data: string | undefined;
    let type: string | undefined;
    for (let i = 0; i + 1 < fields.length; i += 2) {
      if (fields[i] === DATA_FIELD) data = String(fields[i + 1]);
      else if (fields[i] === TYPE_FIELD) type = String(fields[i + 1]);
    }
    let decoded: T;
    try {
      decoded = decodeValue(codec, data ?? '', `${stream} event ${id}`);
    } catch (error) {
      if (partial && events.length > 0) return events;
      throw new EventDecodeError(id, (error as Error).message, { cause: error });
    }
    events.push({
      kind: 'event',
      id,
      seq: sequenceOf(id),
      type,
      data: decoded,
      timestamp: Number(id.slice(0, id.indexOf('-'))),
    });
  }
  return events;
}

/** The cursor just before an event, which is after every event lost ahead of it. */
export function cursorBefore(id: string): string {
  const dash = id.indexOf('-');
  return `${id.slice(0, dash)}-${Number(id.slice(dash + 1)) - 1}`;
}

/** Puts a gap item before the events when some were missed. */
export function withGap<T>(
  missed: number,
  gapCursor: string,
  events: StreamEvent<T>[],
): StreamItem<T>[] {
  if (missed <= 0) return events;
  const gap: StreamGap = { kind: 'gap', missed, cursor: gapCursor };
  return [gap, ...events];
}

/** The cursor after an item: the event's id, or the position after a gap. */
export function cursorAfter(item: StreamItem<unknown>): string {
  return item.kind === 'event' ? item.id : item.cursor;
}
