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

interface Drainable {
  instance: ServiceInstance;
  options: NodeServeOptions;
}

// Every instance of this process that drains on a signal. One handler drains them all before the
// process exits, so one instance finishing first never cuts another's requests short.
const drainables = new Set<Drainable>();
const listening = new Set<NodeJS.Signals>();
let draining = false;

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
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  const instance = await serveInstance(options);
  if (signals.length === 0) return instance;
  drainables.add({ instance, options });
  for (const signal of signals) {
    if (listening.has(signal)) continue;
    listening.add(signal);
    process.on(signal, onSignal);
  }
  return instance;
}

function onSignal(): void {
  if (draining) process.exit(1);
  draining = true;
  void Promise.all([...drainables].map(drain)).then(() => {
    const codes = [...drainables].map(({ options }) => options.exitCode ?? 0);
    process.exit(Math.max(0, ...codes));
  });
}

async function drain({ instance, options }: Drainable): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeoutMs = options.drainTimeoutMs ?? 30_000;
  const timedOut = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
  try {
    await Promise.race([instance.stop(), timedOut]);
    await options.onDrained?.();
  } catch (error) {
    options.onError?.(error);
  } finally {
    clearTimeout(timer);
  }
}
