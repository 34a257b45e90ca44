import type { ReportedStatus } from './registry-types.js';

/** Outcomes the error rate is computed over: the most recent requests. */
const WINDOW = 100;
/** Outcomes needed before the error rate may mark an instance Degraded. */
const MIN_SAMPLES = 10;

/**
 * The status and load an instance reports in its heartbeats: Draining once it stops, else
 * Degraded when its own check says so or when the share of failed requests among the last 100
 * reaches the threshold, else Healthy. The status is worked out again at every heartbeat.
 */
export class ServiceHealth {
  #outcomes: boolean[] = [];
  #failures = 0;
  #draining = false;
  #status: ReportedStatus = 'Healthy';

  constructor(
    private readonly degradedErrorRate: number,
    private readonly check?: () => 'Healthy' | 'Degraded',
  ) {}

  /** Records the outcome of one request: a handler error or a 5xx status is a failure. */
  record(ok: boolean): void {
    this.#outcomes.push(ok);
    if (!ok) this.#failures++;
    if (this.#outcomes.length > WINDOW && this.#outcomes.shift() === false) this.#failures--;
  }

  /** Share of failed requests among the recent ones, from 0 to 1. */
  get errorRate(): number {
    return this.#outcomes.length === 0 ? 0 : this.#failures / this.#outcomes.length;
  }

  drain(): void {
    this.#draining = true;
  }

  /** The status from the last `refresh`, or Draining once `drain` was called. */
  get status(): ReportedStatus {
    return this.#draining ? 'Draining' : this.#status;
  }

  /**
   * Works out the status again and returns it. A custom check that throws counts as Degraded,
   * and `onError` receives its exception.
   */
  refresh(onError: (error: unknown) => void): ReportedStatus {
    if (this.#outcomes.length >= MIN_SAMPLES && this.errorRate >= this.degradedErrorRate) {
      this.#status = 'Degraded';
    } else {
      try {
        this.#status = this.check?.() === 'Degraded' ? 'Degraded' : 'Healthy';
      } catch (error) {
        onError(error);
        this.#status = 'Degraded';
      }
    }
    return this.status;
  }
}
