/**
 * Commands the proxy rejects unless configured otherwise: server administration, whole-database
 * destruction, commands that change the state of the shared connection (a later request would
 * inherit it), subscriptions (they need their own endpoint), script management and KEYS (it
 * blocks the server on a large keyspace). An entry is a command name or "COMMAND SUBCOMMAND".
 */
export const DEFAULT_DENY = [
  'ACL',
  'AUTH',
  'BGREWRITEAOF',
  'BGSAVE',
  'CLIENT',
  'CLUSTER',
  'CONFIG',
  'DEBUG',
  'DISCARD',
  'EXEC',
  'FAILOVER',
  'FLUSHALL',
  'FLUSHDB',
  'FUNCTION',
  'HELLO',
  'KEYS',
  'LATENCY',
  'MIGRATE',
  'MODULE',
  'MONITOR',
  'MULTI',
  'PSUBSCRIBE',
  'PSYNC',
  'PUNSUBSCRIBE',
  'QUIT',
  'READONLY',
  'READWRITE',
  'REPLICAOF',
  'RESET',
  'SAVE',
  'SCRIPT FLUSH',
  'SCRIPT KILL',
  'SELECT',
  'SHUTDOWN',
  'SLAVEOF',
  'SSUBSCRIBE',
  'SUBSCRIBE',
  'SUNSUBSCRIBE',
  'SWAPDB',
  'SYNC',
  'UNSUBSCRIBE',
  'UNWATCH',
  'WAIT',
  'WAITAOF',
  'WATCH',
] as const;

/** Decides which commands a request may run. */
export class CommandPolicy {
  readonly #denied: Set<string>;

  constructor(deny: readonly string[] = DEFAULT_DENY) {
    this.#denied = new Set(deny.map((entry) => entry.trim().toUpperCase().replace(/\s+/g, ' ')));
  }

  /** Returns the deny-list entry that blocks `command`, or undefined when it may run. */
  deniedBy(command: readonly string[]): string | undefined {
    const name = command[0]!.toUpperCase();
    if (this.#denied.has(name)) return name;
    const sub = command[1] === undefined ? undefined : `${name} ${command[1].toUpperCase()}`;
    return sub !== undefined && this.#denied.has(sub) ? sub : undefined;
  }
}
