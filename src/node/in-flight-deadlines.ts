/** One call tracked by `InFlightDeadlines`. */
export interface DeadlineEntry {
  readonly deadline: number;
  /** Called once if the deadline passes first. */
  readonly expire: () => void;
  /** Set when the call settled or expired; later outcomes are ignored. */
  done: boolean;
}

/**
 * Deadlines of calls that share one timeout, kept in a FIFO with one timer. All entries have the
 * same timeout, so they expire in the order they were added, and adding or ending an entry costs
 * no timer call. This replaces a timer or an abort listener per command on the hot path.
 */
export class InFlightDeadlines {
  readonly #entries: DeadlineEntry[] = [];
  #head = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(readonly timeoutMs: number) {}

  /** Tracks a call; `expire` runs if it has not settled within `timeoutMs`. */
  add(expire: () => void): DeadlineEntry {
    const entry: DeadlineEntry = {
      deadline: performance.now() + this.timeoutMs,
      expire,
      done: false,
    };
    this.#entries.push(entry);
    if (this.#timer === undefined) this.#arm(this.timeoutMs);
    return entry;
  }

  /** Marks a call settled; returns false when its deadline had already expired it. */
  settle(entry: DeadlineEntry): boolean {
    if (entry.done) return false;
    entry.done = true;
    // Replies arrive in order, so settled entries gather at the head: drop them as they do.
    while (this.#head < this.#entries.length && this.#entries[this.#head]!.done) this.#head++;
    if (this.#head > 1024 || this.#head === this.#entries.length) this.#compact();
    return true;
  }

  #compact(): void {
    this.#entries.splice(0, this.#head);
    this.#head = 0;
  }

  #arm(delayMs: number): void {
    this.#timer = setTimeout(() => this.#expire(), Math.max(1, Math.ceil(delayMs)));
    // The timer only watches calls; it must not keep the process alive on its own.
    this.#timer.unref?.();
  }

  #expire(): void {
    this.#timer = undefined;
    const now = performance.now();
    while (this.#head < this.#entries.length) {
      const entry = this.#entries[this.#head]!;
      if (!entry.done) {
        if (entry.deadline > now) break;
        entry.done = true;
        entry.expire();
      }
      this.#head++;
    }
    this.#compact();
    const next = this.#entries[this.#head];
    if (next) this.#arm(next.deadline - now);
  }
}
