import { decodeValue, encodeValue, type Codec } from '../codec.js';
import { TransportError } from '../errors.js';
import type { CommandExecutor } from '../executor.js';
import { resourceKeys, validateName } from '../keys.js';
import { replyArray, replyNumber } from '../reply.js';
import { boundedString, positiveMs } from '../validate.js';
import { abandonScript, beginScript, completeScript } from './idempotency-scripts.js';
import { randomToken, validateToken } from './random-token.js';
import type { BeginOptions, BeginResult } from './types.js';

const MAX_FINGERPRINT_LENGTH = 1024;

/**
 * Idempotency records: the first `begin` of a key acquires it, later ones see it in progress,
 * completed (with the stored result) or used by another request (mismatch).
 */
export class IdempotencyRecords<R> {
  constructor(
    private readonly executor: CommandExecutor,
    private readonly prefix: string,
    private readonly codec: Codec<R>,
    private readonly maxResultBytes: number,
  ) {}

  async begin(key: string, options: BeginOptions): Promise<BeginResult<R>> {
    const record = this.#key(key);
    const fingerprint = boundedString('fingerprint', options?.fingerprint, MAX_FINGERPRINT_LENGTH);
    const ttlMs = positiveMs('ttlMs', options.ttlMs);
    const lockMs = positiveMs('lockMs', options.lockMs);
    const token = randomToken();
    const args = [fingerprint, token, lockMs, ttlMs];
    const reply = replyArray(await beginScript.run(this.executor, [record], args), 'begin');
    const [status, detail] = reply;
    switch (status) {
      case 'acquired':
        return { status, token };
      case 'mismatch':
        return { status };
      case 'in-progress':
        return { status, retryAfterMs: Math.max(0, replyNumber(detail ?? null, 'begin')) };
      case 'completed':
        return { status, result: decodeValue(this.codec, String(detail), record) };
      default:
        throw new TransportError(`Unexpected reply to idempotency begin: ${String(status)}.`);
    }
  }

  async complete(key: string, token: string, result: R): Promise<boolean> {
    const record = this.#key(key);
    const holder = validateToken(token);
    const text = encodeValue(this.codec, result, this.maxResultBytes, 'result');
    const reply = await completeScript.run(this.executor, [record], [holder, text]);
    return replyNumber(reply, completeScript.name) === 1;
  }

  async abandon(key: string, token: string): Promise<boolean> {
    const record = this.#key(key);
    const holder = validateToken(token);
    const reply = await abandonScript.run(this.executor, [record], [holder]);
    return replyNumber(reply, abandonScript.name) === 1;
  }

  #key(key: string): string {
    return resourceKeys(this.prefix, `idem:${validateName('idempotency key', key)}`)('r');
  }
}
