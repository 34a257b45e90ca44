import { BadCommandError } from './http-error.js';

/**
 * Builds the command of the path form (`/set/foo/bar?EX=100`): the percent-decoded path segments,
 * then the raw body (when there is one), then each query pair `K=V` as the two arguments `K`, `V`
 * (a bare `K` as one). `_token` is the credential, not an argument, and is left out.
 */
export function pathCommand(
  path: string,
  query: string,
  body: Buffer | undefined,
  maxArgs: number,
): string[] {
  const command = path
    .slice(1)
    .split('/')
    .map((segment, index) => decode(segment, `path segment ${index + 1}`, false));
  if (body !== undefined && body.length > 0) {
    // NOTE: the body is read as UTF-8 text, so a binary value does not survive the path form;
    // the executor seam carries text arguments only. Send binary values base64-encoded.
    command.push(body.toString('utf8'));
  }
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    const name = decode(equals < 0 ? pair : pair.slice(0, equals), 'a query parameter name', true);
    if (name === '_token') continue;
    command.push(name);
    if (equals >= 0) command.push(decode(pair.slice(equals + 1), `query parameter ${name}`, true));
  }
  if (command.length > maxArgs) {
    throw new BadCommandError(
      `The command has ${command.length} items, over the limit of ${maxArgs} arguments.`,
    );
  }
  return command;
}

/** Percent-decodes one part; in a query, `+` stands for a space as in HTML forms. */
function decode(text: string, what: string, query: boolean): string {
  try {
    return decodeURIComponent(query ? text.replace(/\+/g, ' ') : text);
  } catch {
    throw new BadCommandError(`The ${what} is not valid percent-encoded UTF-8.`);
  }
}
