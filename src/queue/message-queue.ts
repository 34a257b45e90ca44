import { waitFor } from '../blocking.js';
import { InvalidArgumentError, LeaseLostError } from '../errors.js';
import type { CommandExecutor, Reply } from '../executor.js';
import { resourceKeys, validateName } from '../keys.js';
import { replyArray, replyNumber } from '../reply.js';
import { decodeEntryFields, encodeBody, HEADERS_FIELD } from './codec.js';
import { ackScript, GROUP, leaseScript, renewScript } from './scripts.js';
import type {
  EnqueueOptions,
  EnqueueResult,
  LeasedMessage,
  LeaseOptions,
  MessageQueue,
  QueueOptions,
} from './types.js';

const DEFAULT_LEASE_MS = 30_000;
const MAX_LEASE_MS = 24 * 60 * 60 * 1000;
const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
const MAX_LEASE_COUNT = 1000;

/**
 * Builds a key of queue `name`. Every key of a queue carries the hash tag `{q:<name>}`, so they
 * share one cluster slot.
 */
export function queueKey(prefix: string, name: string, suffix: string): string {
  return resourceKeys(prefix, `q:${name}`)(suffix);
}

/** A queue on one Valkey stream with one consumer group; all its keys share one hash slot. */
export class ValkeyMessageQueue<T = unknown> implements MessageQueue<T> {
  readonly name: string;
  readonly #executor: CommandExecutor;
  readonly #stream: string;
  readonly #leaseMs: number;
  readonly #maxBodyBytes: number;

  constructor(executor: CommandExecutor, prefix: string, name: string, options: QueueOptions = {}) {
    this.name = validateName('queue', name);
    this.#executor = executor;
    this.#stream = queueKey(prefix, name, 'stream');
    this.#leaseMs = integerIn('leaseMs', options.leaseMs ?? DEFAULT_LEASE_MS, 1, MAX_LEASE_MS);
    this.#maxBodyBytes = integerIn(
      'maxBodyBytes',
      options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
      1,
      512 * 1024 * 1024,
    );
  }

  async enqueue(body: T, options: EnqueueOptions = {}): Promise<EnqueueResult> {
    const fields = encodeBody(body, this.#maxBodyBytes);
    if (options.headers !== undefined) fields.push(HEADERS_FIELD, encodeHeaders(options.headers));
    const id = await this.#executor.send(['XADD', this.#stream, '*', ...fields]);
    return { id: String(id) };
  }

  async lease(options: LeaseOptions): Promise<LeasedMessage<T>[]> {
    const consumer = validateName('consumer', options.consumer);
    const count = integerIn('count', options.count ?? 1, 1, MAX_LEASE_COUNT);
    const waitMs = integerIn('waitMs', options.waitMs ?? 0, 0, MAX_LEASE_MS);
    const leased = await this.#leaseReady(consumer, count);
    if (leased.length > 0 || waitMs === 0) return leased;
    // Nothing ready: block for new entries. The script above created the group, and a read with
    // '>' records the same pending entry (this consumer, delivery count 1) that the script would.
    const waited = await waitFor(
      this.#executor,
      {
        command: (blockMs) => [
          'XREADGROUP',
          'GROUP',
          GROUP,
          consumer,
          'COUNT',
          count,
          'BLOCK',
          blockMs,
          'STREAMS',
          this.#stream,
          '>',
        ],
        parse: (reply) => nonEmpty(this.#parseRead(reply, consumer)),
        poll: async () => nonEmpty(await this.#leaseReady(consumer, count)),
      },
      waitMs,
    );
    return waited ?? [];
  }

  async #leaseReady(consumer: string, count: number): Promise<LeasedMessage<T>[]> {
    const reply = await leaseScript.run(
      this.#executor,
      [this.#stream],
      [consumer, count, this.#leaseMs],
    );
    return this.#parseLeased(reply, consumer);
  }

  async ack(message: LeasedMessage<T>): Promise<void> {
    await this.#fenced(ackScript, message);
  }

  async renew(message: LeasedMessage<T>): Promise<void> {
    await this.#fenced(renewScript, message);
  }

  async #fenced(script: typeof ackScript, message: LeasedMessage<T>): Promise<void> {
    const args = [message.id, message.consumer, message.deliveryCount];
    const result = await script.run(this.#executor, [this.#stream], args);
    if (replyNumber(result, script.name) !== 1)
      throw new LeaseLostError(message.id, message.consumer);
  }

  #parseLeased(reply: Reply, consumer: string): LeasedMessage<T>[] {
    return replyArray(reply, 'queue lease').map((item) => {
      const [id, fields, count] = replyArray(item, 'queue lease') as [string, Reply[], number];
      return this.#message(id, fields, Number(count), consumer);
    });
  }

  #parseRead(reply: Reply, consumer: string): LeasedMessage<T>[] {
    if (reply === null) return [];
    const [stream] = replyArray(reply, 'XREADGROUP') as [Reply[]];
    return replyArray(stream[1] ?? [], 'XREADGROUP').map((item) => {
      const [id, fields] = item as [string, Reply[]];
      return this.#message(id, fields, 1, consumer);
    });
  }

  #message(id: string, fields: Reply[], deliveryCount: number, consumer: string): LeasedMessage<T> {
    const { body, headers } = decodeEntryFields(fields, id);
    return { id, body: body as T, headers, deliveryCount, consumer };
  }
}

function nonEmpty<M>(messages: M[]): M[] | null {
  return messages.length > 0 ? messages : null;
}

function encodeHeaders(headers: Record<string, string>): string {
  if (headers === null || typeof headers !== 'object' || Array.isArray(headers)) {
    throw new InvalidArgumentError('headers', headers, 'Pass an object of string values.');
  }
  for (const [key, value] of Object.entries(headers)) {
    if (typeof value !== 'string') {
      throw new InvalidArgumentError(
        `header ${JSON.stringify(key)}`,
        value,
        'Header values must be strings.',
      );
    }
  }
  return JSON.stringify(headers);
}

function integerIn(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(name, value, `Pass an integer from ${min} to ${max}.`);
  }
  return value;
}
