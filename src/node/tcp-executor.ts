import { ErrorReply, MultiErrorReply } from '@redis/client';
import {
  ConnectionError,
  InvalidArgumentError,
  TimeoutError,
  ValkeyCommandError,
} from '../errors.js';
import type { BatchReply, Command, CommandExecutor, CommandOptions, Reply } from '../executor.js';
import { commandToStrings, normalizeReply, type RawReply } from '../reply.js';
import {
  connectionProblem,
  defaultConnectionFactory,
  type ConnectionFactory,
  type ConnectionOptions,
  type RawClient,
} from './connection-factory.js';
import { InFlightDeadlines } from './in-flight-deadlines.js';
import { fromClientError } from './redis-errors.js';

/** Returns a reply node-redis already decoded as text (strings, numbers, nil, arrays of them). */
function textReply(raw: unknown): Reply {
  if (Array.isArray(raw)) return raw.map(textReply);
  return raw as Reply;
}

/** Node's Buffer decodes short UTF-8 text faster than TextDecoder, with the same result. */
const bufferText = (bytes: Uint8Array): string => (bytes as Buffer).toString('utf8');

export interface TcpExecutorOptions extends ConnectionOptions {
  /** `redis://`, `rediss://`, `valkey://` or `valkeys://` URL, with user and password if any. */
  url: string;
  /** Time a call may take, from the call to its reply, in ms. Default 5000. */
  timeoutMs?: number;
  /** Shares connections with other executors of the same factory. Default: one per process. */
  factory?: ConnectionFactory;
  /**
   * Leave deadlines to the caller (true) instead of tracking `timeoutMs` for every command
   * (false, the default). A caller such as the proxy, which races every call against a deadline
   * of its own, saves that work.
   */
  callerDeadlines?: boolean;
}

/**
 * Command executor over TCP (Node only), on a node-redis client. Commands issued in the same tick
 * are written together on one shared connection; blocking commands get a dedicated one.
 */
export class TcpExecutor implements CommandExecutor {
  readonly kind = 'tcp';
  readonly #timeoutMs: number;
  readonly #callerDeadlines: boolean;
  /** node-redis options of a command sent with the defaults (undefined: none at all). */
  readonly #defaults: { timeout: number; rejectInFlight: boolean } | undefined;
  /** Server address without credentials, for error messages. */
  readonly #where: string;
  readonly #factory: ConnectionFactory;
  readonly #key: string;
  readonly #client: RawClient;
  readonly #blocking: ReturnType<ConnectionFactory['acquire']>['blocking'];
  readonly #deadlines: InFlightDeadlines;
  /**
   * Views of the shared client for the hot path, returning text (node-redis decodes it) or bytes.
   * node-redis drops a command still unsent after `timeoutMs`; the executor's deadline covers
   * the rest of the call.
   */
  readonly #fastText: RawClient;
  readonly #fastBytes: RawClient;
  #closed = false;
  /**
   * Controllers of the blocking calls in flight, aborted by `close`. Dedicated connections are
   * shared by every executor on the same URL, so closing one executor cannot destroy them.
   */
  readonly #blockingCalls = new Set<AbortController>();

  constructor(options: TcpExecutorOptions) {
    const timeoutMs = options.timeoutMs ?? 5000;
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
      throw new InvalidArgumentError(
        'timeoutMs',
        timeoutMs,
        'Pass a positive number of milliseconds.',
      );
    }
    this.#timeoutMs = timeoutMs;
    this.#callerDeadlines = options.callerDeadlines ?? false;
    this.#defaults = this.#callerDeadlines
      ? undefined
      : { timeout: timeoutMs, rejectInFlight: true };
    this.#deadlines = new InFlightDeadlines(timeoutMs);
    this.#factory = options.factory ?? defaultConnectionFactory;
    this.#where = hostOf(options.url);
    const shared = this.#factory.acquire(options.url, options);
    this.#key = shared.key;
    this.#client = shared.client;
    this.#blocking = shared.blocking;
    // An empty type mapping restores node-redis's default: bulk and simple strings as text.
    // The view keeps the RawClient type: only `sendCommand`, whose reply type is loose, is used.
    this.#fastText = this.#client.withCommandOptions({
      typeMapping: {},
      timeout: timeoutMs,
    }) as unknown as RawClient;
    this.#fastBytes = this.#client.withCommandOptions({ timeout: timeoutMs });
  }

  send(command: Command, options?: CommandOptions): Promise<Reply> {
    if (options?.blockMs === undefined && !options?.timeoutMs && !options?.signal) {
      return this.#sendFast(command, options?.bytes ?? false);
    }
    return this.#sendWithOptions(command, options);
  }

  /**
   * Sends a command without per-call options. The executor's timeout is tracked by one FIFO of
   * deadlines instead of a timer and listeners per command: with node-redis 6.4's in-flight
   * timeout, cache get and set ran at about half this throughput in `npm run bench:primitives`.
   * A reply that arrives after the timeout is read and dropped.
   */
  #sendFast(command: Command, bytes: boolean): Promise<Reply> {
    return new Promise<Reply>((resolve, reject) => {
      const args = commandToStrings(command);
      this.#assertOpen();
      const name = args[0]!;
      const client = bytes ? this.#fastBytes : this.#fastText;
      // With caller deadlines nothing tracks the call here: the caller races it against its own.
      const entry = this.#callerDeadlines
        ? undefined
        : this.#deadlines.add(() =>
            reject(this.#failure(new TimeoutError(this.#timeoutMs, name), name, this.#timeoutMs)),
          );
      const claimOutcome = () => entry === undefined || this.#deadlines.settle(entry);
      client.sendCommand(args).then(
        (raw) => {
          if (claimOutcome()) {
            resolve(bytes ? normalizeReply(raw as unknown as RawReply, true) : textReply(raw));
          }
        },
        (error: unknown) => {
          if (claimOutcome()) reject(this.#failure(error, name, this.#timeoutMs));
        },
      );
    });
  }

  async #sendWithOptions(command: Command, options: CommandOptions): Promise<Reply> {
    const args = commandToStrings(command);
    this.#assertOpen();
    if (options.blockMs !== undefined) return this.#sendBlocking(args, options);
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    try {
      const raw = await this.#client.sendCommand(args, {
        timeout: timeoutMs,
        rejectInFlight: true,
        abortSignal: options.signal,
      });
      return normalizeReply(raw as unknown as RawReply, options.bytes ?? false, bufferText);
    } catch (error) {
      throw this.#failure(error, args[0]!, timeoutMs);
    }
  }

  async pipeline(commands: readonly Command[], options?: CommandOptions): Promise<BatchReply[]> {
    const all = commands.map(commandToStrings);
    this.#assertOpen();
    const timeoutMs = options?.timeoutMs ?? this.#timeoutMs;
    const bytes = options?.bytes ?? false;
    // Commands sent in one tick share one socket write, so this is one round trip.
    const sendOptions = this.#commandOptions(timeoutMs, options);
    const settled = await Promise.allSettled(
      all.map((args) => this.#client.sendCommand(args, sendOptions)),
    );
    return settled.map((result, i) => {
      if (result.status === 'fulfilled')
        return normalizeReply(result.value as unknown as RawReply, bytes, bufferText);
      if (result.reason instanceof ErrorReply)
        return new ValkeyCommandError(result.reason.message, all[i]![0]);
      throw this.#failure(result.reason, all[i]![0]!, timeoutMs);
    });
  }

  async transaction(commands: readonly Command[], options?: CommandOptions): Promise<BatchReply[]> {
    const all = commands.map(commandToStrings);
    this.#assertOpen();
    if (all.length === 0) return [];
    const timeoutMs = options?.timeoutMs ?? this.#timeoutMs;
    const bytes = options?.bytes ?? false;
    const multi = this.#client.multi();
    for (const args of all) multi.addCommand(args);
    let replies: unknown[];
    try {
      replies = await withTimeout(multi.exec(), timeoutMs, 'MULTI/EXEC', options?.signal);
    } catch (error) {
      if (error instanceof MultiErrorReply) replies = error.replies;
      else if (error instanceof ErrorReply) {
        // A command rejected while queueing makes the server discard the whole transaction.
        throw new ValkeyCommandError(
          `EXECABORT Transaction discarded because of previous errors: ${error.message}`,
          'EXEC',
        );
      } else throw this.#failure(error, 'MULTI/EXEC', timeoutMs);
    }
    return replies.map((reply, i) =>
      reply instanceof ErrorReply
        ? new ValkeyCommandError(reply.message, all[i]![0])
        : normalizeReply(reply as unknown as RawReply, bytes, bufferText),
    );
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const error = closedError();
    for (const controller of this.#blockingCalls) controller.abort(error);
    this.#blockingCalls.clear();
    await this.#factory.release(this.#key);
  }

  /** Runs a blocking command on a dedicated connection, bounded by its block time plus the timeout. */
  async #sendBlocking(args: string[], options: CommandOptions): Promise<Reply> {
    const limitMs = (options.blockMs ?? 0) + (options.timeoutMs ?? this.#timeoutMs);
    const timeout = AbortSignal.timeout(limitMs);
    const closing = new AbortController();
    this.#blockingCalls.add(closing);
    const sources = [timeout, closing.signal];
    if (options.signal) sources.push(options.signal);
    const signal = AbortSignal.any(sources);
    try {
      let client: RawClient;
      try {
        client = await this.#blocking.take(signal);
      } catch (error) {
        if (closing.signal.aborted) throw closing.signal.reason;
        const cause = timeout.aborted
          ? new TimeoutError(limitMs, `waiting for a connection for ${args[0]}`)
          : error;
        throw this.#failure(cause, args[0]!, limitMs);
      }
      try {
        const raw = await client.sendCommand(args, { abortSignal: signal, rejectInFlight: true });
        this.#blocking.give(client);
        return normalizeReply(raw as unknown as RawReply, options.bytes ?? false, bufferText);
      } catch (error) {
        if (error instanceof ErrorReply) {
          this.#blocking.give(client);
          throw new ValkeyCommandError(error.message, args[0]);
        }
        this.#blocking.discard(client);
        if (closing.signal.aborted) throw closing.signal.reason;
        if (timeout.aborted) throw new TimeoutError(limitMs, args[0]!, { cause: error });
        throw this.#failure(error, args[0]!, limitMs);
      }
    } finally {
      this.#blockingCalls.delete(closing);
    }
  }

  /**
   * Maps a client error; a timeout or an offline client while the connection is down becomes a
   * `ConnectionError` that names the connection failure, which tells the caller more.
   */
  #failure(error: unknown, what: string, timeoutMs: number): unknown {
    const mapped = fromClientError(error, what, timeoutMs);
    const problem = connectionProblem(this.#client);
    const unreachable = mapped instanceof TimeoutError || mapped instanceof ConnectionError;
    if (unreachable && problem !== undefined) {
      return new ConnectionError(
        `${what} failed: cannot reach Valkey at ${this.#where} (${problem}).`,
        {
          cause: error,
        },
      );
    }
    return mapped;
  }

  /** node-redis options of one command; the common case reuses one object (no allocation). */
  #commandOptions(timeoutMs: number, options?: CommandOptions) {
    if (options?.signal === undefined && timeoutMs === this.#timeoutMs) return this.#defaults;
    return {
      timeout: timeoutMs,
      rejectInFlight: true,
      abortSignal: options?.signal,
    };
  }

  #assertOpen(): void {
    if (this.#closed) throw closedError();
  }
}

function closedError(): ConnectionError {
  return new ConnectionError(
    'The TCP executor was closed; create a new transport to send more commands.',
  );
}

function withTimeout<T>(
  promise: Promise<T>,
  timeoutMs: number,
  what: string,
  signal?: AbortSignal,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new TimeoutError(timeoutMs, what)), timeoutMs);
    const onAbort = () => reject(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '<invalid url>';
  }
}
