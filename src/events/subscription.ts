import { cursorAfter } from './cursor.js';
import type { StreamItem, Subscription } from './types.js';

/** Longest single wait of a subscription for new events, in ms; then it reads again. */
export const SUBSCRIBE_WAIT_MS = 30_000;

/**
 * Fetches the next items after a cursor, waiting for some to arrive; may return an empty list
 * when its wait ends without news. Aborting `signal` must end the wait.
 */
export type FetchItems<T> = (cursor: string, signal: AbortSignal) => Promise<StreamItem<T>[]>;

/**
 * An async iterator over fetched batches. `close()`, `break` in a `for await` loop and the
 * caller's signal all end it at once, cancelling a wait in progress.
 */
export class PullSubscription<T> implements Subscription<T> {
  readonly #fetch: FetchItems<T>;
  readonly #abort = new AbortController();
  readonly #buffer: StreamItem<T>[] = [];
  #cursor: string;

  constructor(cursor: string, fetch: FetchItems<T>, signal?: AbortSignal) {
    this.#cursor = cursor;
    this.#fetch = fetch;
    if (signal?.aborted) this.#abort.abort(signal.reason);
    signal?.addEventListener('abort', () => this.#abort.abort(signal.reason), { once: true });
  }

  get cursor(): string {
    return this.#cursor;
  }

  async next(): Promise<IteratorResult<StreamItem<T>, undefined>> {
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      const item = this.#buffer.shift();
      if (item) {
        this.#cursor = cursorAfter(item);
        return { value: item, done: false };
      }
      try {
        this.#buffer.push(...(await this.#fetch(this.#cursor, signal)));
      } catch (error) {
        if (signal.aborted) break;
        throw error;
      }
    }
    return { value: undefined, done: true };
  }

  async return(): Promise<IteratorResult<StreamItem<T>, undefined>> {
    await this.close();
    return { value: undefined, done: true };
  }

  async close(): Promise<void> {
    this.#abort.abort();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}
