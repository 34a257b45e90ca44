// Transports that count their round trips: proxy requests over HTTP (through a counting fetch),
// executor calls over TCP. Tests use them to prove that an operation is one round trip and that
// bad input sends nothing.
import { expect, inject } from 'vitest';
import {
  HttpExecutor,
  InvalidArgumentError,
  ValkeyTransport,
  type BatchReply,
  type Command,
  type CommandExecutor,
  type CommandOptions,
  type Reply,
} from '../../src/node/index.js';
import { uniquePrefix, type AdapterCase } from './adapters.js';

export interface CountedTransport {
  transport: ValkeyTransport;
  /** Round trips made since the last `reset()`. */
  count(): number;
  reset(): void;
}

class CountingExecutor implements CommandExecutor {
  calls = 0;
  constructor(private readonly inner: CommandExecutor) {}
  get kind(): string {
    return this.inner.kind;
  }
  send(command: Command, options?: CommandOptions): Promise<Reply> {
    this.calls++;
    return this.inner.send(command, options);
  }
  pipeline(commands: readonly Command[], options?: CommandOptions): Promise<BatchReply[]> {
    this.calls++;
    return this.inner.pipeline(commands, options);
  }
  transaction(commands: readonly Command[], options?: CommandOptions): Promise<BatchReply[]> {
    this.calls++;
    return this.inner.transaction(commands, options);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** A transport of the adapter's kind whose round trips are counted. */
export function countedTransport(adapter: AdapterCase): CountedTransport {
  const prefix = uniquePrefix();
  if (adapter.name === 'http') {
    let requests = 0;
    const executor = new HttpExecutor({
      url: inject('proxyUrl'),
      token: inject('proxyToken'),
      fetch: (input, init) => {
        requests++;
        return fetch(input, init);
      },
    });
    return {
      transport: new ValkeyTransport(executor, prefix),
      count: () => requests,
      reset: () => (requests = 0),
    };
  }
  const counting = new CountingExecutor(adapter.create({ prefix }).executor);
  return {
    transport: new ValkeyTransport(counting, prefix),
    count: () => counting.calls,
    reset: () => (counting.calls = 0),
  };
}

/** A named call that must reject with `InvalidArgumentError`. */
export type BadInputCase = readonly [name: string, operation: () => Promise<unknown>];

/**
 * Runs each case and checks that it rejects with an `InvalidArgumentError` and that none of them
 * made a round trip: bad input must be rejected before anything is sent.
 */
export async function expectRejectedBeforeSending(
  counted: CountedTransport,
  cases: readonly BadInputCase[],
): Promise<void> {
  counted.reset();
  for (const [name, operation] of cases) {
    const error = await operation().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect({ name, error }).toEqual({ name, error: expect.any(InvalidArgumentError) });
  }
  expect(counted.count()).toBe(0);
}
