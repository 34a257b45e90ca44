import { BadCommandError } from './http-error.js';

/** Blocking commands whose timeout, in seconds, is the last argument. */
const TIMEOUT_LAST = new Set(['BLPOP', 'BRPOP', 'BRPOPLPUSH', 'BLMOVE', 'BZPOPMIN', 'BZPOPMAX']);
/** Blocking commands whose timeout, in seconds, is the first argument. */
const TIMEOUT_FIRST = new Set(['BLMPOP', 'BZMPOP']);

/**
 * Returns how long a command may block the connection it runs on, in ms, or undefined for a
 * command that does not block. A timeout of zero (or under 1 ms) blocks forever and is rejected,
 * and so is one over `maxBlockMs`, so no request can hold a connection longer than the cap.
 */
export function blockTimeMs(command: readonly string[], maxBlockMs: number): number | undefined {
  const name = command[0]!.toUpperCase();
  let ms: number;
  if (TIMEOUT_LAST.has(name)) ms = seconds(command.length > 1 ? command.at(-1) : undefined, name);
  else if (TIMEOUT_FIRST.has(name)) ms = seconds(command[1], name);
  else if (name === 'XREAD' || name === 'XREADGROUP') {
    const block = streamBlockMs(command, name);
    if (block === undefined) return undefined;
    ms = block;
  } else return undefined;
  if (ms < 1) {
    throw new BadCommandError(
      `${name} with a timeout of 0 would block forever; pass a timeout of at most ${maxBlockMs} ms.`,
    );
  }
  if (ms > maxBlockMs) {
    throw new BadCommandError(
      `${name} timeout of ${ms} ms is over this proxy's limit of ${maxBlockMs} ms; block for less and repeat.`,
    );
  }
  return ms;
}

/**
 * The BLOCK option of XREAD/XREADGROUP, looked for before STREAMS (later items are keys and ids).
 * Valkey takes the last BLOCK given, so this does too: `BLOCK 100 BLOCK 0` blocks forever.
 */
function streamBlockMs(command: readonly string[], name: string): number | undefined {
  let block: number | undefined;
  for (let i = 1; i < command.length; i++) {
    const word = command[i]!.toUpperCase();
    if (word === 'STREAMS') break;
    if (word === 'GROUP') i += 2; // the group and consumer names may be any text
    if (word !== 'BLOCK') continue;
    const ms = Number(command[i + 1]);
    if (command[i + 1] === undefined || !Number.isFinite(ms) || ms < 0) {
      throw new BadCommandError(`${name} BLOCK needs a whole number of milliseconds.`);
    }
    block = ms;
    i++;
  }
  return block;
}

function seconds(arg: string | undefined, name: string): number {
  const value = Number(arg);
  if (arg === undefined || arg.trim() === '' || !Number.isFinite(value) || value < 0) {
    const where = TIMEOUT_FIRST.has(name) ? 'first' : 'last';
    throw new BadCommandError(`${name} needs a timeout in seconds as its ${where} argument.`);
  }
  return value * 1000;
}
