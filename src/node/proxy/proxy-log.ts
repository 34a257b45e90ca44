import type { Logger } from 'pino';
import { RepeatLimiter } from './repeat-limiter.js';

type Level = 'info' | 'warn' | 'error';

/**
 * The proxy's log lines. Never given a token, a password or a command argument: lines carry the
 * request id, the route, command names and statuses. Lines that can repeat once per request
 * (denials, bad tokens, backend failures) are thinned out by a `RepeatLimiter`.
 */
export class ProxyLog {
  readonly #repeats = new RepeatLimiter();
  #backendDown = false;
  #backendSeen = false;

  constructor(readonly logger: Logger) {}

  /** Writes a line unless one of the same `key` was written in the last few seconds. */
  limited(level: Level, key: string, fields: Record<string, unknown>, message: string): void {
    const repeats = this.#repeats.admit(key);
    if (repeats === undefined) return;
    this.logger[level](repeats > 0 ? { ...fields, repeats } : fields, message);
  }

  /** Logs the state changes of the Valkey connections: lost, failing, back. */
  connectionEvent(event: 'ready' | 'error' | 'end', shared: boolean, message?: string): void {
    if (event === 'error') {
      this.limited('warn', 'backend-error', { err: message, shared }, 'Valkey connection error');
    }
    if (!shared) return;
    if (event === 'ready') {
      if (!this.#backendSeen) this.logger.info('Valkey connection ready');
      else if (this.#backendDown) this.logger.info('Valkey connection restored');
      this.#backendDown = false;
      this.#backendSeen = true;
    } else if (!this.#backendDown) {
      this.#backendDown = true;
      const what = this.#backendSeen ? 'Valkey connection lost' : 'Cannot reach Valkey';
      this.logger.error({ err: message }, `${what}; retrying`);
    }
  }
}
