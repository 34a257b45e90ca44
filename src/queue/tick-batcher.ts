interface Pending<I, R> {
  item: I;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

/**
 * Collects the calls made in the same tick and runs them as one batch (one script call, so one
 * round trip and one script run on the server for many acks). `run` returns one result per item,
 * in order; when it rejects, every call of the batch rejects with its error.
 */
export class TickBatcher<I, R> {
  #pending: Pending<I, R>[] = [];

  constructor(
    private readonly run: (items: I[]) => Promise<R[]>,
    /** Largest batch; a full batch is sent at once. */
    private readonly maxItems: number,
  ) {}

  add(item: I): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#pending.push({ item, resolve, reject });
      if (this.#pending.length === 1) queueMicrotask(() => this.#flush());
      else if (this.#pending.length >= this.maxItems) this.#flush();
    });
  }

  #flush(): void {
    const batch = this.#pending;
    if (batch.length === 0) return;
    this.#pending = [];
    let running: Promise<R[]>;
    try {
      running = this.run(batch.map((p) => p.item));
    } catch (error) {
      running = Promise.reject(error);
    }
    running.then(
      (results) => batch.forEach((p, i) => p.resolve(results[i]!)),
      (error: unknown) => batch.forEach((p) => p.reject(error)),
    );
  }
}
