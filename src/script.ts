import { isNoScript } from './errors.js';
import type { BatchReply, CommandArg, CommandExecutor, CommandOptions, Reply } from './executor.js';

/** The library's own scripts, so the proxy can run exactly these and no others. */
const libraryScripts = new Set<Script>();

/** Returns the library's own scripts (its modules create them on import). */
export function allScripts(): readonly Script[] {
  return [...libraryScripts];
}

/**
 * Creates one of the library's own scripts. A `Script` that an application creates with `new` is
 * not one of them, so a proxy with `scripts: 'library'` rejects it whenever it was created.
 */
export function libraryScript(name: string, source: string): Script {
  const script = new Script(name, source);
  libraryScripts.add(script);
  return script;
}

/**
 * A Lua script sent with EVALSHA, falling back to EVAL when the server answers NOSCRIPT (after a
 * restart, a failover or SCRIPT FLUSH). The SHA-1 is computed with Web Crypto, so this runs at
 * the edge too.
 */
export class Script {
  #sha: string | undefined;

  constructor(
    /** Short name used in error messages. */
    readonly name: string,
    readonly source: string,
  ) {}

  async sha(): Promise<string> {
    if (this.#sha === undefined) {
      const digest = await crypto.subtle.digest('SHA-1', new TextEncoder().encode(this.source));
      this.#sha = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
    }
    return this.#sha;
  }

  /** Runs the script in one round trip (two only when the server must load it first). */
  run(
    executor: CommandExecutor,
    keys: readonly string[],
    args: readonly CommandArg[],
    options?: CommandOptions,
  ): Promise<Reply> {
    // Once the SHA-1 is known, send without awaiting it: one promise less per call.
    if (this.#sha === undefined) {
      return this.sha().then(() => this.run(executor, keys, args, options));
    }
    return executor
      .send(['EVALSHA', this.#sha, keys.length, ...keys, ...args], options)
      .catch((error: unknown) => {
        if (!isNoScript(error)) throw error;
        return executor.send(['EVAL', this.source, keys.length, ...keys, ...args], options);
      });
  }

  /**
   * Runs several invocations in one pipeline, re-sending with EVAL only those the server did not
   * know. Invocations are independent, so a retried one running after the others is harmless.
   */
  async runMany(
    executor: CommandExecutor,
    calls: readonly { keys: readonly string[]; args: readonly CommandArg[] }[],
    options?: CommandOptions,
  ): Promise<BatchReply[]> {
    const sha = await this.sha();
    const results = await executor.pipeline(
      calls.map((c) => ['EVALSHA', sha, c.keys.length, ...c.keys, ...c.args]),
      options,
    );
    const missing = results.flatMap((r, i) => (isNoScript(r) ? [i] : []));
    if (missing.length === 0) return results;
    const retried = await executor.pipeline(
      missing.map((i) => {
        const c = calls[i]!;
        return ['EVAL', this.source, c.keys.length, ...c.keys, ...c.args];
      }),
      options,
    );
    missing.forEach((index, j) => (results[index] = retried[j]!));
    return results;
  }
}
