import { ConnectionError, InvalidArgumentError, TimeoutError, TransportError } from '../errors.js';
import type { BatchReply, Command, CommandExecutor, CommandOptions, Reply } from '../executor.js';
import { commandToStrings } from '../reply.js';
import { Semaphore } from './semaphore.js';
import { decodeEntry, errorForStatus, errorText, type WireEntry } from './wire.js';

export interface HttpExecutorOptions {
  /** Base URL of the REST server, e.g. `https://proxy.example.com` or `http://127.0.0.1:8080`. */
  url: string;
  /** Bearer token the REST server expects. */
  token: string;
  /** Time a call may take, from the call to its reply, in ms. Default 10000. */
  timeoutMs?: number;
  /** Requests in flight at once; further requests wait for a slot (within their timeout). Default 32. */
  maxInFlight?: number;
  /**
   * Blocking requests (`blockMs`) in flight at once, counted apart from `maxInFlight` so that
   * waiting reads never hold the slots of ordinary commands. Default 8.
   */
  maxBlockingInFlight?: number;
  /**
   * Batches commands issued in the same tick into one `/pipeline` request. Default true. Batched
   * commands are not atomic; each gets its own result, as if sent alone.
   */
  autoPipeline?: boolean;
  /** The fetch implementation. Default `globalThis.fetch`. */
  fetch?: typeof fetch;
}

interface Pending {
  args: string[];
  bytes: boolean;
  resolve: (reply: Reply) => void;
  reject: (error: unknown) => void;
}

// Commands that change nothing, so a request that failed in transit may be repeated. Writes are
// never repeated: a lost reply does not tell whether the server applied them.
const READ_ONLY = new Set([
  'GET',
  'MGET',
  'EXISTS',
  'HGET',
  'HMGET',
  'HGETALL',
  'PTTL',
  'TTL',
  'PING',
  'TIME',
  'XRANGE',
  'XREVRANGE',
  'XLEN',
  'XPENDING',
  'ZRANGE',
  'ZSCORE',
  'ZCARD',
  'LRANGE',
  'LLEN',
  'SMEMBERS',
  'SCARD',
]);
const RETRY_DELAY_MS = 50;

/**
 * Command executor over HTTP, speaking the Upstash REST protocol with base64 replies, so it runs
 * wherever `fetch` does (Workers, Deno, Bun, Node) and keeps binary values intact.
 */
export class HttpExecutor implements CommandExecutor {
  readonly kind = 'http';
  readonly #base: string;
  readonly #token: string;
  readonly #timeoutMs: number;
  readonly #autoPipeline: boolean;
  readonly #fetch: typeof fetch;
  readonly #slots: Semaphore;
  readonly #blockingSlots: Semaphore;
  #batch: Pending[] = [];
  #syncToken: string | undefined;
  #closed = false;
  /**
   * Controllers of the requests in flight, aborted by `close` so that they (a blocking read too)
   * reject at once. A set rather than listeners on one shared signal, which Node warns about
   * past 10 listeners.
   */
  readonly #inFlight = new Set<AbortController>();

  constructor(options: HttpExecutorOptions) {
    this.#base = parseBaseUrl(options.url);
    if (typeof options.token !== 'string' || options.token === '') {
      throw new InvalidArgumentError(
        'token',
        options.token,
        'Pass the REST token of the proxy (VALKEY_REST_TOKEN).',
      );
    }
    this.#token = options.token;
    this.#timeoutMs = positive('timeoutMs', options.timeoutMs ?? 10_000);
    this.#slots = new Semaphore(positive('maxInFlight', options.maxInFlight ?? 32));
    this.#blockingSlots = new Semaphore(
      positive('maxBlockingInFlight', options.maxBlockingInFlight ?? 8),
    );
    this.#autoPipeline = options.autoPipeline ?? true;
    this.#fetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  }

  send(command: Command, options?: CommandOptions): Promise<Reply> {
    let args: string[];
    try {
      args = commandToStrings(command);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.#closed) return Promise.reject(closedError());
    const bytes = options?.bytes ?? false;
    const custom = options?.blockMs || options?.timeoutMs || options?.signal;
    if (!this.#autoPipeline || custom) return this.#sendAlone(args, bytes, options);
    return new Promise<Reply>((resolve, reject) => {
      this.#batch.push({ args, bytes, resolve, reject });
      if (this.#batch.length === 1) queueMicrotask(() => this.#flush());
    });
  }

  async pipeline(commands: readonly Command[], options?: CommandOptions): Promise<BatchReply[]> {
    if (commands.length === 0) return [];
    const body = commands.map(commandToStrings);
    const entries = await this.#request('/pipeline', body, options, isReadOnly(body));
    return decodeEntries(entries, body, options?.bytes ?? false);
  }

  async transaction(commands: readonly Command[], options?: CommandOptions): Promise<BatchReply[]> {
    if (commands.length === 0) return [];
    const body = commands.map(commandToStrings);
    const entries = await this.#request('/multi-exec', body, options, false);
    return decodeEntries(entries, body, options?.bytes ?? false);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const error = closedError();
    for (const controller of this.#inFlight) controller.abort(error);
    this.#inFlight.clear();
  }

  async #sendAlone(args: string[], bytes: boolean, options?: CommandOptions): Promise<Reply> {
    const timeoutMs = (options?.timeoutMs ?? this.#timeoutMs) + (options?.blockMs ?? 0);
    const entry = await this.#request('/', args, { ...options, timeoutMs }, isReadOnly([args]));
    const reply = decodeEntry(entry as WireEntry, bytes, args[0]!);
    if (reply instanceof Error) throw reply;
    return reply;
  }

  #flush(): void {
    const batch = this.#batch;
    this.#batch = [];
    if (batch.length === 1) {
      const only = batch[0]!;
      this.#sendAlone(only.args, only.bytes).then(only.resolve, only.reject);
      return;
    }
    const body = batch.map((p) => p.args);
    this.#request('/pipeline', body, undefined, isReadOnly(body)).then(
      (entries) => settleBatch(batch, entries),
      (error: unknown) => {
        // A 4xx means the server ran nothing, so each command is re-sent alone to get its own error
        // instead of failing unrelated commands that shared the batch.
        if (
          error instanceof TransportError &&
          !(error instanceof ConnectionError) &&
          !(error instanceof TimeoutError)
        ) {
          for (const p of batch) this.#sendAlone(p.args, p.bytes).then(p.resolve, p.reject);
        } else {
          for (const p of batch) p.reject(error);
        }
      },
    );
  }

  /** Sends one request, with one retry after a transport failure when `retryable`. */
  async #request(
    path: string,
    body: unknown,
    options: CommandOptions | undefined,
    retryable: boolean,
  ): Promise<unknown> {
    if (this.#closed) throw closedError();
    const timeoutMs = options?.timeoutMs ?? this.#timeoutMs;
    const name = describeBody(path, body);
    const timeout = new AbortController();
    const timer = setTimeout(
      () => timeout.abort(new TimeoutError(timeoutMs, `REST request ${name}`)),
      timeoutMs,
    );
    this.#inFlight.add(timeout);
    const signal = options?.signal
      ? AbortSignal.any([timeout.signal, options.signal])
      : timeout.signal;
    const slots = options?.blockMs ? this.#blockingSlots : this.#slots;
    try {
      await slots.acquire(signal);
      try {
        try {
          return await this.#fetchOnce(path, body, signal, name);
        } catch (error) {
          if (!retryable || !(error instanceof ConnectionError) || error.status !== undefined)
            throw error;
          await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
          return await this.#fetchOnce(path, body, signal, name);
        }
      } finally {
        slots.release();
      }
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      throw error;
    } finally {
      clearTimeout(timer);
      this.#inFlight.delete(timeout);
    }
  }

  async #fetchOnce(
    path: string,
    body: unknown,
    signal: AbortSignal,
    name: string,
  ): Promise<unknown> {
    const headers: Record<string, string> = {
      authorization: `Bearer ${this.#token}`,
      'content-type': 'application/json',
      'upstash-encoding': 'base64',
    };
    if (this.#syncToken) headers['upstash-sync-token'] = this.#syncToken;
    let response: Response;
    try {
      response = await this.#fetch(this.#base + path, {
        method: 'POST',
        headers,
        body: JSON.stringify(body),
        signal,
      });
    } catch (error) {
      if (signal.aborted) throw signal.reason;
      throw new ConnectionError(`REST request ${name} to ${this.#base} failed: ${String(error)}`, {
        cause: error,
      });
    }
    const text = await response.text();
    if (!response.ok) {
      const message = errorText(text);
      // A command error on POST / is a 400 with the server's text: the same as an inline error.
      if (path === '/' && response.status === 400) return { error: message };
      throw errorForStatus(response.status, message, name);
    }
    const sync = response.headers.get('upstash-sync-token');
    if (sync) this.#syncToken = sync;
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new TransportError(`REST reply to ${name} is not JSON: ${text.slice(0, 100)}`, {
        cause: error,
      });
    }
  }
}

function settleBatch(batch: Pending[], entries: unknown): void {
  if (!Array.isArray(entries) || entries.length !== batch.length) {
    const error = new TransportError(
      `Malformed /pipeline reply: expected ${batch.length} entries.`,
    );
    for (const p of batch) p.reject(error);
    return;
  }
  batch.forEach((p, i) => {
    try {
      const reply = decodeEntry(entries[i] as WireEntry, p.bytes, p.args[0]!);
      if (reply instanceof Error) p.reject(reply);
      else p.resolve(reply);
    } catch (error) {
      p.reject(error);
    }
  });
}

function decodeEntries(entries: unknown, body: string[][], bytes: boolean): BatchReply[] {
  if (!Array.isArray(entries) || entries.length !== body.length) {
    throw new TransportError(`Malformed batch reply: expected ${body.length} entries.`);
  }
  return entries.map((entry, i) => decodeEntry(entry as WireEntry, bytes, body[i]![0]!));
}

function isReadOnly(commands: readonly string[][]): boolean {
  return commands.every((c) => READ_ONLY.has(c[0]!.toUpperCase()));
}

function describeBody(path: string, body: unknown): string {
  if (path === '/') return String((body as string[])[0]);
  return `${path} (${(body as unknown[]).length} commands)`;
}

function closedError(): ConnectionError {
  return new ConnectionError(
    'The HTTP executor was closed; create a new transport to send more commands.',
  );
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError(name, value, 'Pass a positive number.');
  }
  return value;
}

function parseBaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new InvalidArgumentError(
      'REST URL',
      url,
      'Pass an absolute http:// or https:// URL of the REST proxy.',
    );
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new InvalidArgumentError(
      'REST URL',
      url,
      'Use an http:// or https:// URL for the HTTP adapter.',
    );
  }
  return parsed.toString().replace(/\/+$/, '');
}
