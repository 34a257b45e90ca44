import { TimeoutError } from '../../errors.js';

/**
 * Rejects with `TimeoutError` when `promise` has not settled within `ms`. The proxy puts one
 * deadline on each request instead of one on each command in node-redis, which costs less per
 * command; a command that stalls on the wire is left to its connection.
 */
export function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new TimeoutError(ms, what)), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}
