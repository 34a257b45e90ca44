import { BadCommandError } from './commands.js';

/**
 * Returns how long a blocking command may block, in ms, or undefined for a command that does not
 * block. Zero timeouts (block forever) and timeouts over `maxBlockMs` are rejected.
 */
export function blockTimeMs(command: readonly string[], maxBlockMs: number): number | undefined {
  const name = command[0]!.toUpperCase();
  let ms: number | undefined;
  switch (name) {
    case 'BLPOP':
    case 'BRPOP':
    case 'BRPOPLPUSH':
    case 'BLMOVE':
    case 'BZPOPMIN':
    case 'BZPOPMAX':
      ms = seconds(command.at(-1), name);
      break;
    case 'BLMPOP':
    case 'BZMPOP':
      ms = seconds(command[1], name);
      break;
    case 'XREAD':
    case 'XREADGROUP': {
      const index = command.findIndex((arg, i) => i > 0 && arg.toUpperCase() === 'BLOCK');
      if (index < 0) return undefined;
      ms = Number(command[index + 1]);
      if (!Number.isFinite(ms) || ms < 0)
        throw new BadCommandError(`${name} BLOCK needs a number of milliseconds.`);
      break;
    }
    default:
      return undefined;
  }
  if (ms === 0) {
    throw new BadCommandError(
      `${name} with timeout 0 would block forever; pass a timeout of at most ${maxBlockMs} ms.`,
    );
  }
  if (ms > maxBlockMs) {
    throw new BadCommandError(
      `${name} timeout of ${ms} ms is over this proxy's limit of ${maxBlockMs} ms; block for less and repeat.`,
    );
  }
  return ms;
}

function seconds(arg: string | undefined, name: string): number {
  const value = Number(arg);
  if (arg === undefined || !Number.isFinite(value) || value < 0) {
    throw new BadCommandError(
      `${name} needs a timeout in seconds as its ${name.startsWith('BLM') || name.startsWith('BZM') ? 'first' : 'last'} argument.`,
    );
  }
  return value * 1000;
}
