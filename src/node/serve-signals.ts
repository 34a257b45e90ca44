// The Node service SDK: serve() from the edge entry, plus draining on process signals.
import { serve as serveInstance } from '../gateway/serve.js';
import type { ServeOptions, ServiceInstance } from '../gateway/serve-options.js';

export interface NodeServeOptions extends ServeOptions {
  /**
   * Signals that start a drain (report Draining, finish in-flight requests, send GOODBYE), after
   * which the process exits. Default `['SIGTERM', 'SIGINT']`; pass `[]` to handle signals yourself
   * and call `stop()`. A second signal during the drain exits at once with code 1.
   */
  signals?: NodeJS.Signals[];
  /** Longest drain, in ms; requests still running then are retried elsewhere. Default 30000. */
  drainTimeoutMs?: number;
  /** Runs after the drain and before the exit, e.g. to close the transport. Default: nothing. */
  onDrained?: () => void | Promise<void>;
  /** Exit code after a drain started by a signal. Default 0. */
  exitCode?: number;
}

/**
 * Starts a service instance (see the edge `serve`) that drains when the process receives SIGTERM
 * or SIGINT, then exits, so an orchestrator's stop never cuts a request short.
 *
 * @example
 * await serve({
 *   transport, service: 'users', version: '1.0.0',
 *   routes: { 'GET /users/:id': (_req, { id }) => Response.json({ id }) },
 *   onDrained: () => transport.close(),
 * });
 */
export async function serve(options: NodeServeOptions): Promise<ServiceInstance> {
  const { signals = ['SIGTERM', 'SIGINT'], drainTimeoutMs = 30_000, ...rest } = options;
  const instance = await serveInstance(rest);
  if (signals.length === 0) return instance;
  let draining = false;
  const onSignal = () => {
    if (draining) process.exit(1);
    draining = true;
    void drainAndExit(instance, options, drainTimeoutMs);
  };
  for (const signal of signals) process.on(signal, onSignal);
  return instance;
}

async function drainAndExit(
  instance: ServiceInstance,
  options: NodeServeOptions,
  drainTimeoutMs: number,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, drainTimeoutMs)));
  try {
    await Promise.race([instance.stop(), timedOut]);
    await options.onDrained?.();
  } catch (error) {
    options.onError?.(error);
  } finally {
    clearTimeout(timer);
    process.exit(options.exitCode ?? 0);
  }
}
