import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from '../../errors.js';
import type { TokenGrant } from './auth.js';
import type { ProxyOptions } from './options.js';

/** A token in the config file: a `TokenGrant` whose secrets may come from the environment. */
export interface FileGrant extends Partial<TokenGrant> {
  /** Environment variable that contains the token, instead of `token`. */
  tokenEnv?: string;
  /** Environment variable that contains the ACL user's password, instead of `password`. */
  passwordEnv?: string;
}

const FILE_KEYS = new Set([
  'valkeyUrl',
  'tokens',
  'port',
  'host',
  'maxBodyBytes',
  'maxPipelineCommands',
  'maxArgs',
  'requestTimeoutMs',
  'maxBlockMs',
  'maxBlockingConnections',
  'maxSubscriptions',
  'deny',
  'allow',
  'scripts',
  'corsOrigins',
  'shutdownTimeoutMs',
]);

/**
 * Reads a JSON config file: an object with the keys of `ProxyOptions` (logger aside), whose
 * `tokens` entries may name environment variables for their secrets. An unknown key is an error,
 * so a misspelt limit does not silently keep its default.
 */
export function loadConfigFile(path: string, env: NodeJS.ProcessEnv): Partial<ProxyOptions> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    // The parser's message quotes the file, which may hold secrets: report only the cause.
    const code = (error as { code?: string }).code;
    const why = code === undefined ? 'it is not valid JSON' : `it cannot be read (${code})`;
    throw new InvalidArgumentError('config file', path, `Fix the file: ${why}.`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new InvalidArgumentError('config file', path, 'It must hold a JSON object.');
  }
  const config = parsed as Record<string, unknown>;
  for (const key of Object.keys(config)) {
    if (!FILE_KEYS.has(key)) {
      throw new InvalidArgumentError(
        'config file key',
        key,
        `Use one of: ${[...FILE_KEYS].join(', ')}.`,
      );
    }
  }
  const tokens = config.tokens === undefined ? undefined : fileGrants(config.tokens, env);
  return { ...(config as Partial<ProxyOptions>), tokens };
}

function fileGrants(value: unknown, env: NodeJS.ProcessEnv): (string | TokenGrant)[] {
  if (!Array.isArray(value)) {
    throw new InvalidArgumentError('tokens', typeof value, 'Pass an array of tokens.');
  }
  return value.map((entry: string | FileGrant, index) => {
    if (typeof entry === 'string') return entry;
    const { tokenEnv, passwordEnv, ...grant } = entry;
    const token = tokenEnv === undefined ? grant.token : fromEnv(env, tokenEnv, index);
    const password = passwordEnv === undefined ? grant.password : fromEnv(env, passwordEnv, index);
    return { ...grant, token: token ?? '', password };
  });
}

function fromEnv(env: NodeJS.ProcessEnv, name: string, index: number): string {
  const value = env[name];
  if (value === undefined || value === '') {
    throw new InvalidArgumentError(
      `environment variable for token ${index + 1}`,
      name,
      'Set it before starting the proxy.',
    );
  }
  return value;
}

/**
 * Settings from the environment: `VALKEY_URL`, `PORT`, `PROXY_TOKENS` (comma-separated tokens,
 * or a JSON array of token grants) and `PROXY_READ_ONLY_TOKENS` (comma-separated).
 */
export function envOptions(env: NodeJS.ProcessEnv): Partial<ProxyOptions> {
  const tokens: (string | TokenGrant)[] = [];
  const list = env.PROXY_TOKENS?.trim() ?? '';
  if (list.startsWith('[')) {
    try {
      tokens.push(...fileGrants(JSON.parse(list), env));
    } catch (error) {
      if (error instanceof InvalidArgumentError) throw error;
      throw new InvalidArgumentError('PROXY_TOKENS', '<hidden>', 'It must be a JSON array.');
    }
  } else tokens.push(...splitList(list));
  for (const token of splitList(env.PROXY_READ_ONLY_TOKENS ?? '')) {
    tokens.push({ token, readOnly: true });
  }
  return {
    valkeyUrl: env.VALKEY_URL || undefined,
    port: env.PORT ? Number(env.PORT) : undefined,
    tokens: tokens.length > 0 ? tokens : undefined,
  };
}

export function splitList(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}
