import { createHash } from 'node:crypto';
// Loading the library's entry creates all of its scripts, so `allScripts()` returns every one.
import '../../index.js';
import { allScripts } from '../../script.js';
import { DeniedError } from './http-error.js';

/**
 * Scope of the Lua scripts a token may run. `library`: only the scripts of this library (its
 * primitives over HTTP need them), by EVALSHA or EVAL, with no SCRIPT LOAD and no functions.
 * `any`: every script and function, as a plain Upstash endpoint allows. The deny list does not reach the commands a script runs,
 * so `any` lets a token run FLUSHALL or MIGRATE inside a script unless its ACL user forbids them.
 */
export type ScriptMode = 'library' | 'any';

export const SCRIPT_MODES: readonly ScriptMode[] = ['library', 'any'];

const EVAL_BY_SOURCE = new Set(['EVAL', 'EVAL_RO']);
const EVAL_BY_SHA = new Set(['EVALSHA', 'EVALSHA_RO']);
const FUNCTION_CALLS = new Set(['FCALL', 'FCALL_RO']);
const HOW_TO_ALLOW = 'start the proxy with --scripts any (and an ACL user per token) to allow it.';

/** Checks script commands against the SHA-1 digests of the library's own scripts. */
export class ScriptPolicy {
  readonly #known: Set<string> | undefined;

  constructor(mode: ScriptMode) {
    this.#known =
      mode === 'any' ? undefined : new Set(allScripts().map((script) => sha1(script.source)));
  }

  /** Throws `DeniedError` (403) for a script or function call this proxy does not run. */
  check(name: string, command: readonly string[]): void {
    if (this.#known === undefined) return;
    if (FUNCTION_CALLS.has(name)) {
      throw new DeniedError(name, `this proxy runs only its library's scripts; ${HOW_TO_ALLOW}`);
    }
    if (name === 'SCRIPT' && command[1]?.toUpperCase() === 'LOAD') {
      throw new DeniedError(
        'SCRIPT LOAD',
        `this proxy runs only its library's scripts; ${HOW_TO_ALLOW}`,
      );
    }
    const bySource = EVAL_BY_SOURCE.has(name);
    if (!bySource && !EVAL_BY_SHA.has(name)) return;
    const body = command[1] ?? '';
    const digest = bySource ? sha1(body) : body.toLowerCase();
    if (!this.#known.has(digest)) {
      throw new DeniedError(name, `this script is not one of the library's; ${HOW_TO_ALLOW}`);
    }
  }
}

function sha1(text: string): string {
  return createHash('sha1').update(text).digest('hex');
}
