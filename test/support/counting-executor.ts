// An executor that forwards every call to a real one and counts the calls; each call is one round
// trip, so tests can count round trips and check that bad input sends nothing.
import type { CommandExecutor } from '../../src/node/index.js';

export function countingExecutor(inner: CommandExecutor) {
  const counter = { calls: 0 };
  const executor: CommandExecutor = {
    kind: inner.kind,
    send: (command, options) => (counter.calls++, inner.send(command, options)),
    pipeline: (commands, options) => (counter.calls++, inner.pipeline(commands, options)),
    transaction: (commands, options) => (counter.calls++, inner.transaction(commands, options)),
    close: () => inner.close(),
  };
  return { executor, counter };
}
