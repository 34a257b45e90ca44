import type { ValkeyCommandError } from './errors.js';

/** One argument of a command. Numbers are sent as their decimal text. */
export type CommandArg = string | number;

/** A command: its name, then its arguments, as Valkey receives them. */
export type Command = readonly CommandArg[];

/**
 * A normalised RESP2 reply: bulk and simple strings as text (or bytes when asked), integers as
 * numbers, nil as null, arrays as arrays. The same command gives the same reply on every adapter.
 */
export type Reply = string | number | null | Uint8Array | readonly Reply[];

/** One entry of a pipeline or transaction result: the reply, or the error that command got. */
export type BatchReply = Reply | ValkeyCommandError;

export interface CommandOptions {
  /** Return bulk strings as `Uint8Array` with their exact bytes instead of UTF-8 text. */
  bytes?: boolean;
  /** Time the call may take before it rejects with `TimeoutError`, in ms. Default: the executor's. */
  timeoutMs?: number;
  /**
   * Marks a command that blocks on the server (BLPOP, XREADGROUP BLOCK...) for up to this many ms.
   * The TCP adapter runs it on a dedicated connection, so a waiting read never stalls other
   * traffic; the HTTP adapter sends it alone and extends its timeout by this much.
   */
  blockMs?: number;
  /** Aborts the call; it then rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * The one seam between the primitives and a Valkey connection. Every call resolves or rejects
 * within its timeout. Server errors reject with `ValkeyCommandError` (in `pipeline` and
 * `transaction` they are returned in place, so later commands still report their own result).
 */
export interface CommandExecutor {
  /** `'tcp'` or `'http'`: lets callers choose a strategy (blocking waits versus polling). */
  readonly kind: string;
  send(command: Command, options?: CommandOptions): Promise<Reply>;
  /** Sends a non-atomic batch in one round trip; results come back in order. */
  pipeline(commands: readonly Command[], options?: CommandOptions): Promise<BatchReply[]>;
  /**
   * Runs the commands in MULTI/EXEC. A command that fails at run time gets its error in place;
   * a transaction the server discards as a whole (EXECABORT) rejects.
   */
  transaction(commands: readonly Command[], options?: CommandOptions): Promise<BatchReply[]>;
  /** Releases connections. Calls made after `close` reject with `ConnectionError`. */
  close(): Promise<void>;
}
