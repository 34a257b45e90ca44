/**
 * Thins out log lines that repeat: the first line of a kind (a key such as "denied:FLUSHALL") is
 * written, further ones within `windowMs` are only counted, and the next line written after the
 * window carries that count. A client hammering the proxy with a bad token or a denied command
 * thus costs a few lines a minute, not one per request.
 */
export class RepeatLimiter {
  readonly #seen = new Map<string, { until: number; suppressed: number }>();

  constructor(
    private readonly windowMs = 10_000,
    private readonly maxKeys = 1000,
  ) {}

  /**
   * Returns undefined when this line should be skipped, else the number of lines of its kind
   * skipped since the last one written.
   */
  admit(key: string, now = Date.now()): number | undefined {
    const entry = this.#seen.get(key);
    if (entry && now < entry.until) {
      entry.suppressed++;
      return undefined;
    }
    if (!entry && this.#seen.size >= this.maxKeys) this.#evict(now);
    this.#seen.set(key, { until: now + this.windowMs, suppressed: 0 });
    return entry?.suppressed ?? 0;
  }

  #evict(now: number): void {
    for (const [key, entry] of this.#seen) {
      if (entry.until <= now) this.#seen.delete(key);
    }
    // Still full of live keys: drop the oldest, so the map stays bounded.
    if (this.#seen.size >= this.maxKeys) {
      const oldest = this.#seen.keys().next().value;
      if (oldest !== undefined) this.#seen.delete(oldest);
    }
  }
}
