import { bytesToBase64, utf8Bytes } from '../base64.js';
import { LeaseLostError, TimeoutError } from '../errors.js';
import { MAX_TIMER_MS } from '../validate.js';
import type { CommandExecutor } from '../executor.js';
import type { LeasedMessage, MessageQueue } from '../queue/types.js';
import { frameToRequest, responseToFrame, type ReplyFrame, type RequestFrame } from './frames.js';
import type { ServiceRoutes } from './service-routes.js';
import {
  REPLY_LEASE_LOST,
  replyKey,
  replyScript,
  servicePriorKey,
  serviceStreamKey,
} from './service-queue.js';

const ORIGIN = 'http://service.internal';
/** How long a reply outlives its request's deadline before it expires unread, in ms. */
const REPLY_GRACE_MS = 5000;
/**
 * Time a handler may run on after its `request.signal` aborts, in ms. After that the instance
 * stops waiting for it, so a handler that ignores the signal cannot hold a concurrency slot, the
 * lease, or `stop()` forever.
 */
const ABANDON_AFTER_ABORT_MS = 1000;

/** Settings and callbacks an instance uses to handle the request frames it leased. */
export interface RequestContext {
  service: string;
  queue: MessageQueue<RequestFrame>;
  queueName: string;
  executor: CommandExecutor;
  prefix: string;
  leaseMs: number;
  routes: () => ServiceRoutes;
  /** Local time plus the measured offset to the server clock, in ms. */
  serverNow: () => number;
  record: (ok: boolean) => void;
  report: (error: unknown) => void;
}

/**
 * Handles one leased request frame: drops it unrun when its deadline has passed, else runs the
 * handler while renewing the lease, then acks and replies in one fenced script. The handler's
 * `request.signal` aborts at the deadline or when the lease is lost.
 */
export async function handleRequest(
  context: RequestContext,
  message: LeasedMessage<RequestFrame>,
): Promise<void> {
  const frame = message.body;
  if (!isRequestFrame(frame) || context.serverNow() > frame.deadline) {
    // The gateway no longer waits for this reply (or the frame is unreadable), so drop it unrun.
    await context.queue.ack(message).catch(context.report);
    return;
  }
  const controller = new AbortController();
  const remainingMs = frame.deadline - context.serverNow();
  const deadline = setTimeout(
    () => controller.abort(new TimeoutError(remainingMs, `${frame.method} ${frame.path}`)),
    Math.min(remainingMs, MAX_TIMER_MS),
  );
  let replied = false;
  // Renewing at a third of the lease leaves two chances before it expires.
  const renewal = setInterval(() => {
    context.queue.renew(message).catch((error: unknown) => {
      // A renewal that crossed the reply finds the request acked: that is no lost lease.
      if (replied) return;
      if (error instanceof LeaseLostError) controller.abort(error);
      else context.report(error);
    });
  }, context.leaseMs / 3);
  try {
    const reply = await runHandler(context, frame, controller.signal);
    context.record(reply.status < 500);
    const keys = [
      serviceStreamKey(context.prefix, context.queueName),
      replyKey(context.prefix, context.queueName, frame.correlationId),
      servicePriorKey(context.prefix, context.queueName),
    ];
    const args = [message.id, message.consumer, message.deliveryCount];
    args.push(JSON.stringify(reply), frame.deadline, REPLY_GRACE_MS);
    const outcome = await replyScript.run(context.executor, keys, args);
    replied = true;
    if (outcome === REPLY_LEASE_LOST)
      context.report(new LeaseLostError(message.id, message.consumer));
  } catch (error) {
    context.report(error);
  } finally {
    clearTimeout(deadline);
    clearInterval(renewal);
  }
}

async function runHandler(
  context: RequestContext,
  frame: RequestFrame,
  signal: AbortSignal,
): Promise<ReplyFrame> {
  const match = context.routes().match(frame.method, frame.path);
  if (!match) {
    return jsonFrame(404, `${context.service} has no route for ${frame.method} ${frame.path}.`);
  }
  const [handler, params] = match;
  const run = async () =>
    responseToFrame(await handler(frameToRequest(frame, ORIGIN, signal), params));
  try {
    return await settledOrAbandoned(run(), signal);
  } catch (error) {
    context.report(error);
    if (error instanceof HandlerAbandonedError) {
      return jsonFrame(
        504,
        `${context.service} did not finish ${frame.method} ${frame.path} before its deadline.`,
      );
    }
    return jsonFrame(
      502,
      // The error goes to the service's onError, not to the client: its text may reveal internals.
      `${context.service} failed to handle ${frame.method} ${frame.path} (correlation id ${frame.correlationId}).`,
    );
  }
}

/** Raised when a handler still runs `ABANDON_AFTER_ABORT_MS` after its signal aborted. */
class HandlerAbandonedError extends Error {
  constructor(reason: unknown) {
    super(
      `The handler ignored its aborted request.signal (${String(reason)}) for ${ABANDON_AFTER_ABORT_MS} ms; its result is dropped.`,
    );
    this.name = 'HandlerAbandonedError';
  }
}

/**
 * Settles as `work` does, or rejects with `HandlerAbandonedError` once `signal` has been aborted
 * for `ABANDON_AFTER_ABORT_MS` while `work` still runs. The abandoned work is not stopped.
 */
function settledOrAbandoned<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = () => {
      timer = setTimeout(
        () => reject(new HandlerAbandonedError(signal.reason)),
        ABANDON_AFTER_ABORT_MS,
      );
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    });
  });
}

function isRequestFrame(frame: RequestFrame): boolean {
  return (
    frame !== null &&
    typeof frame === 'object' &&
    typeof frame.method === 'string' &&
    typeof frame.path === 'string' &&
    typeof frame.correlationId === 'string' &&
    typeof frame.deadline === 'number' &&
    Array.isArray(frame.headers)
  );
}

function jsonFrame(status: number, message: string): ReplyFrame {
  const body = utf8Bytes(JSON.stringify({ error: message }));
  return { status, headers: [['content-type', 'application/json']], body: bytesToBase64(body) };
}
