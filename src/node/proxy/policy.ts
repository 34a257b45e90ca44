import { DeniedError } from './http-error.js';
import { READ_COMMANDS } from './read-commands.js';
import { ScriptPolicy, type ScriptMode } from './script-policy.js';

/**
 * Commands the proxy refuses unless configured otherwise: server administration, whole-database
 * destruction, commands that change the state of the shared connection (a later request would
 * inherit it), subscriptions over POST (they have their own endpoints), script and function
 * management, commands that block the shared connection (WAIT) and KEYS (it stalls the server on
 * a large keyspace). An entry is a command name or "COMMAND SUBCOMMAND".
 */
export const DEFAULT_DENY: readonly string[] = [
  ...['ACL', 'BGREWRITEAOF', 'BGSAVE', 'CLUSTER', 'CONFIG', 'DEBUG', 'FAILOVER', 'LASTSAVE'],
  ...['LATENCY', 'MIGRATE', 'MODULE', 'MONITOR', 'PFSELFTEST', 'PSYNC', 'REPLCONF', 'REPLICAOF'],
  ...['RESTORE-ASKING', 'ROLE', 'SAVE', 'SHUTDOWN', 'SLAVEOF', 'SLOWLOG', 'SYNC'],
  ...['MEMORY DOCTOR', 'MEMORY MALLOC-STATS', 'MEMORY PURGE', 'MEMORY STATS'],
  ...['FLUSHALL', 'FLUSHDB', 'SWAPDB'],
  ...['ASKING', 'AUTH', 'CLIENT', 'HELLO', 'QUIT', 'READONLY', 'READWRITE', 'RESET', 'SELECT'],
  ...['DISCARD', 'EXEC', 'MULTI', 'UNWATCH', 'WATCH', 'WAIT', 'WAITAOF'],
  ...['PSUBSCRIBE', 'PUNSUBSCRIBE', 'SSUBSCRIBE', 'SUBSCRIBE', 'SUNSUBSCRIBE', 'UNSUBSCRIBE'],
  ...['FUNCTION', 'SCRIPT DEBUG', 'SCRIPT FLUSH', 'SCRIPT KILL'],
  'KEYS',
];

const DENY_LIST = "it is on this proxy's deny list.";
/** Names whose read-only forms are "NAME SUBCOMMAND" pairs. */
const PAIR_READS = new Set(
  [...READ_COMMANDS].filter((entry) => entry.includes(' ')).map((entry) => entry.split(' ')[0]!),
);

/** Normalises a deny or allow entry: upper case, single spaces. */
function normalise(entry: string): string {
  return entry.trim().toUpperCase().replace(/\s+/g, ' ');
}

/**
 * Decides which commands a request may run: the deny list (entries in `allow` are taken off it)
 * for every token, and the read-command list for read-only tokens. Names are compared in upper
 * case, so `flushall` and `FlushAll` are the same command, as they are to Valkey.
 */
export class CommandPolicy {
  readonly #denied: Set<string>;
  /** Names that have a "NAME SUBCOMMAND" entry (or are entries themselves). */
  readonly #hasPairs: Set<string>;
  readonly #scripts: ScriptPolicy;

  constructor(
    deny: readonly string[] = DEFAULT_DENY,
    allow: readonly string[] = [],
    scripts: ScriptMode = 'library',
  ) {
    this.#scripts = new ScriptPolicy(scripts);
    const allowed = new Set(allow.map(normalise));
    this.#denied = new Set(deny.map(normalise).filter((entry) => !allowed.has(entry)));
    this.#hasPairs = new Set([...this.#denied].map((entry) => entry.split(' ')[0]!));
  }

  /** The deny list in force, sorted. */
  get denied(): string[] {
    return [...this.#denied].sort();
  }

  /** Throws `DeniedError` (403) when `command` may not run for this token. */
  check(command: readonly string[], readOnly: boolean): void {
    const name = command[0]!.toUpperCase();
    if (this.#denied.has(name)) throw new DeniedError(name, DENY_LIST);
    // Only a name that has "NAME SUBCOMMAND" entries needs the pair built.
    const pairs = this.#hasPairs.has(name) || (readOnly && PAIR_READS.has(name));
    const sub = pairs && command[1] !== undefined ? `${name} ${command[1].toUpperCase()}` : '';
    if (sub && this.#denied.has(sub)) throw new DeniedError(sub, DENY_LIST);
    if (readOnly && !READ_COMMANDS.has(name) && !READ_COMMANDS.has(sub)) {
      throw new DeniedError(name, 'this token is read-only and may run read commands only.');
    }
    this.#scripts.check(name, command);
  }
}
