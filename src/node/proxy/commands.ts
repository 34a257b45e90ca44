import { BadCommandError } from './http-error.js';

/**
 * Validates one command of a request body: a non-empty array whose first item is the command
 * name and whose arguments are strings, numbers or booleans (sent as "true"/"false").
 */
export function parseCommand(value: unknown, maxArgs: number, where: string): string[] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new BadCommandError(
      `${where} must be a non-empty array such as ["GET","key"], got ${preview(value)}.`,
    );
  }
  if (value.length > maxArgs) {
    throw new BadCommandError(
      `${where} has ${value.length} items, over the limit of ${maxArgs} arguments.`,
    );
  }
  return value.map((item, index) => {
    if (typeof item === 'string') return item;
    if (typeof item === 'number' && Number.isFinite(item)) return String(item);
    if (typeof item === 'boolean') return item ? 'true' : 'false';
    throw new BadCommandError(
      `${where}, item ${index}: ${preview(item)} is not a string, number or boolean.`,
    );
  });
}

/** Validates a `/pipeline` or `/multi-exec` body: a non-empty array of commands. */
export function parseCommandList(value: unknown, maxCommands: number, maxArgs: number): string[][] {
  if (!Array.isArray(value) || value.length === 0) {
    throw new BadCommandError(
      `The body must be a non-empty array of commands such as [["GET","a"],["GET","b"]], got ${preview(value)}.`,
    );
  }
  if (value.length > maxCommands) {
    throw new BadCommandError(
      `The body has ${value.length} commands, over the limit of ${maxCommands} per request.`,
    );
  }
  return value.map((command, index) => parseCommand(command, maxArgs, `Command ${index}`));
}

function preview(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    // Arrays nested deeper than the stack allows: JSON.parse accepts them, stringify does not.
    text = Array.isArray(value) ? '[...]' : typeof value;
  }
  return text.length > 60 ? `${text.slice(0, 60)}...` : text;
}
