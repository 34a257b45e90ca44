import { InvalidArgumentError, LeaseLostError } from '../errors.js';
import type { Command, CommandExecutor, Reply } from '../executor.js';
import { validateName } from '../keys.js';
import { replyArray, replyNumber } from '../reply.js';
import type { Script } from '../script.js';
import { checkOptions } from '../validate.js';
import { statsScript } from './admin-scripts.js';
import { QueueConsumer } from './consumer.js';
import { listDeadLetters, purgeDeadLetters, replayDeadLetters } from './dead-letters.js';
import {
  encodeForEnqueue,
  sendEnqueues,
  type EncodedMessage,
  type EnqueueLimits,
} from './enqueue.js';
import { leaseMessages, type LeaseResult, type LeaseTarget } from './lease.js';
import { ackScript, deadLetterScript, nackScript, renewScript } from './lease-scripts.js';
import { queueKeys, type QueueKeys } from './queue-keys.js';
import { TickBatcher } from './tick-batcher.js';
import type {
  BatchMessage,
  ConsumeOptions,
  Consumer,
  DeadLetter,
  DeadLetterSelection,
  EnqueueOptions,
  EnqueueResult,
  LeasedMessage,
  LeaseOptions,
  MessageHandler,
  MessageQueue,
  NackOptions,
  NackOutcome,
  QueueConfig,
  QueueOptions,
  QueueStats,
} from './types.js';
import { checkInteger, checkLeased, errorText, optionalInteger } from './validate.js';

export { queueKey } from './queue-keys.js';

const DEFAULTS = {
  leaseMs: 30_000,
  maxDeliveries: 5,
  maxBodyBytes: 1024 * 1024,
  dedupeWindowMs: 5 * 60 * 1000,
};
/** Most acks or renewals one script call carries. */
const MAX_FENCED_BATCH = 1000;

/** A queue on one Valkey stream with one consumer group; all its keys share one hash slot. */
export class ValkeyMessageQueue<T = unknown> implements MessageQueue<T> {
  readonly name: string;
  readonly #executor: CommandExecutor;
  readonly #keys: QueueKeys;
  readonly #target: LeaseTarget;
  readonly #limits: EnqueueLimits;
  readonly #enqueues: TickBatcher<EncodedMessage, EnqueueResult>;
  readonly #acks: TickBatcher<LeasedMessage<unknown>, number>;
  readonly #renewals: TickBatcher<LeasedMessage<unknown>, number>;

  constructor(executor: CommandExecutor, prefix: string, name: string, options: QueueOptions = {}) {
    this.name = validateName('queue', name);
    if (options === null || typeof options !== 'object') {
      throw new InvalidArgumentError('queue options', options, 'Pass an object or nothing.');
    }
    this.#executor = executor;
    this.#keys = queueKeys(prefix, name);
    const given = (key: 'leaseMs' | 'maxDeliveries') =>
      options[key] === undefined ? undefined : checkInteger(key, options[key]);
    this.#target = {
      executor,
      keys: this.#keys,
      queueName: name,
      leaseMs: given('leaseMs'),
      maxDeliveries: given('maxDeliveries'),
      defaults: { leaseMs: DEFAULTS.leaseMs, maxDeliveries: DEFAULTS.maxDeliveries },
    };
    this.#limits = {
      maxBodyBytes: optionalInteger('maxBodyBytes', options.maxBodyBytes, DEFAULTS.maxBodyBytes),
      dedupeWindowMs: optionalInteger(
        'dedupeWindowMs',
        options.dedupeWindowMs,
        DEFAULTS.dedupeWindowMs,
      ),
    };
    this.#enqueues = new TickBatcher(
      (messages) => sendEnqueues(executor, this.#keys, messages),
      500,
    );
    const { stream, prior, dead } = this.#keys;
    this.#acks = new TickBatcher(
      (m) => this.#runFenced(ackScript, [stream, prior], m),
      MAX_FENCED_BATCH,
    );
    this.#renewals = new TickBatcher(
      (m) => this.#runFenced(renewScript, [stream, prior, dead], m),
      MAX_FENCED_BATCH,
    );
  }

  async enqueue(body: T, options?: EnqueueOptions): Promise<EnqueueResult> {
    return this.#enqueues.add(encodeForEnqueue(body, options, this.#limits));
  }

  async enqueueBatch(messages: readonly BatchMessage<T>[]): Promise<EnqueueResult[]> {
    if (!Array.isArray(messages)) {
      throw new InvalidArgumentError(
        'messages',
        messages,
        'Pass an array of { body, ...options }.',
      );
    }
    const encoded = messages.map((message, i) => {
      if (message === null || typeof message !== 'object') {
        throw new InvalidArgumentError(`messages[${i}]`, message, 'Pass { body, ...options }.');
      }
      return encodeForEnqueue(message.body, message, this.#limits);
    });
    return encoded.length === 0 ? [] : sendEnqueues(this.#executor, this.#keys, encoded);
  }

  async lease(options: LeaseOptions): Promise<LeasedMessage<T>[]> {
    return (await this.leaseBatch(options)).messages;
  }

  /**
   * Leases like `lease` and also returns the stored lease duration (the consumer loop's cadence).
   * An aborted `signal` ends a wait at its next block slice (within about a second).
   */
  async leaseBatch(options: LeaseOptions, signal?: AbortSignal): Promise<LeaseResult<T>> {
    if (options === null || typeof options !== 'object') {
      throw new InvalidArgumentError('lease options', options, 'Pass { consumer, count, waitMs }.');
    }
    const consumer = validateName('consumer', options.consumer);
    const count = optionalInteger('count', options.count, 1);
    const waitMs = optionalInteger('waitMs', options.waitMs, 0);
    return leaseMessages<T>(this.#target, consumer, count, waitMs, signal);
  }

  async ack(message: LeasedMessage<T>): Promise<void> {
    checkLeased(message);
    if ((await this.#acks.add(message)) !== 1) throw lost(message);
  }

  async renew(message: LeasedMessage<T>): Promise<void> {
    checkLeased(message);
    if ((await this.#renewals.add(message)) !== 1) throw lost(message);
  }

  async nack(message: LeasedMessage<T>, options: NackOptions = {}): Promise<NackOutcome> {
    checkOptions('nack options', options, '{ delayMs, error }');
    const delayMs = optionalInteger('delayMs', options.delayMs, 0);
    return this.#nack(checkLeased(message), delayMs, errorText(options.error), false);
  }

  /**
   * Gives a held message back at once without counting this delivery (the consumer loop's
   * shutdown). Rejects with `LeaseLostError` when the lease is not held.
   */
  async release(message: LeasedMessage<T>, reason: string): Promise<void> {
    await this.#nack(checkLeased(message), 0, reason, true);
  }

  async #nack(
    message: LeasedMessage<unknown>,
    delayMs: number,
    error: string,
    release: boolean,
  ): Promise<NackOutcome> {
    const { stream, delayed, scheduled, prior, dead, meta } = this.#keys;
    const reply = await nackScript.run(
      this.#executor,
      [stream, delayed, scheduled, prior, dead, meta],
      [
        ...[message.id, message.consumer, message.deliveryCount, delayMs, error],
        ...[release ? 1 : 0, this.#target.maxDeliveries ?? DEFAULTS.maxDeliveries],
      ],
    );
    const code = replyNumber(reply, nackScript.name);
    if (code === 0) throw lost(message);
    return code === 1 ? 'retried' : 'dead-lettered';
  }

  async deadLetter(message: LeasedMessage<T>, options: { error?: string } = {}): Promise<void> {
    checkLeased(message);
    checkOptions('deadLetter options', options, '{ error }');
    const { stream, prior, dead } = this.#keys;
    const args = [message.id, message.consumer, message.deliveryCount, errorText(options.error)];
    const reply = await deadLetterScript.run(this.#executor, [stream, prior, dead], args);
    if (replyNumber(reply, deadLetterScript.name) === 0) throw lost(message);
  }

  consume(handler: MessageHandler<T>, options: ConsumeOptions = {}): Consumer {
    checkOptions('consume options', options, '{ concurrency, waitMs }');
    return new QueueConsumer<T>(this, handler, options);
  }

  async stats(): Promise<QueueStats> {
    const { stream, delayed, dead } = this.#keys;
    const reply = await statsScript.run(this.#executor, [stream, delayed, dead], []);
    const [ready, leased, delayedCount, deadCount, age] = replyArray(reply, statsScript.name).map(
      (value) => replyNumber(value, statsScript.name),
    );
    return {
      ready: ready ?? 0,
      leased: leased ?? 0,
      delayed: delayedCount ?? 0,
      deadLettered: deadCount ?? 0,
      oldestReadyAgeMs: age === undefined || age < 0 ? null : age,
    };
  }

  async config(): Promise<QueueConfig> {
    return this.#parseConfig(await this.#executor.send(this.#readConfig()));
  }

  async configure(config: Partial<QueueConfig>): Promise<QueueConfig> {
    if (config === null || typeof config !== 'object') {
      throw new InvalidArgumentError('config', config, 'Pass { leaseMs, maxDeliveries }.');
    }
    const fields: (string | number)[] = [];
    if (config.leaseMs !== undefined) {
      fields.push('lease_ms', checkInteger('leaseMs', config.leaseMs));
    }
    if (config.maxDeliveries !== undefined) {
      fields.push('max_deliveries', checkInteger('maxDeliveries', config.maxDeliveries));
    }
    if (fields.length === 0) return this.config();
    const [written, read] = await this.#executor.pipeline([
      ['HSET', this.#keys.meta, ...fields],
      this.#readConfig(),
    ]);
    for (const reply of [written, read]) if (reply instanceof Error) throw reply;
    return this.#parseConfig(read as Reply);
  }

  #readConfig(): Command {
    return ['HMGET', this.#keys.meta, 'lease_ms', 'max_deliveries'];
  }

  #parseConfig(reply: Reply): QueueConfig {
    const [leaseMs, maxDeliveries] = replyArray(reply, 'HMGET');
    const stored = (value: Reply | undefined, fallback: number) =>
      value === null || value === undefined ? fallback : Number(value);
    return {
      leaseMs: stored(leaseMs, this.#target.leaseMs ?? DEFAULTS.leaseMs),
      maxDeliveries: stored(maxDeliveries, this.#target.maxDeliveries ?? DEFAULTS.maxDeliveries),
    };
  }

  listDeadLetters(options?: { after?: string; count?: number }): Promise<DeadLetter<T>[]> {
    return listDeadLetters<T>(this.#executor, this.#keys, options);
  }

  replayDeadLetters(selection?: DeadLetterSelection): Promise<number> {
    return replayDeadLetters(this.#executor, this.#keys, selection);
  }

  purgeDeadLetters(options?: { ids?: readonly string[] }): Promise<number> {
    return purgeDeadLetters(this.#executor, this.#keys, options);
  }

  async #runFenced(
    script: Script,
    keys: string[],
    messages: LeasedMessage<unknown>[],
  ): Promise<number[]> {
    const args = messages.flatMap((m) => [m.id, m.consumer, m.deliveryCount]);
    const reply = await script.run(this.#executor, keys, args);
    return replyArray(reply, script.name).map((value) => replyNumber(value, script.name));
  }
}

function lost(message: LeasedMessage<unknown>): LeaseLostError {
  return new LeaseLostError(message.id, message.consumer);
}
