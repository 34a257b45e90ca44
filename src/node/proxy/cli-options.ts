import { parseArgs } from 'node:util';
import { InvalidArgumentError } from '../../errors.js';
import type { TokenGrant } from './auth.js';
import { envOptions, loadConfigFile } from './config-file.js';
import { PROXY_DEFAULTS, type ProxyOptions } from './options.js';

type Key = keyof typeof PROXY_DEFAULTS;

/** One command-line option: its flag, the setting it fills, and the help text's unit. */
interface Flag {
  flag: string;
  arg: string;
  key?: Key;
  text: string;
  /** Default shown in the help; for `key` options, PROXY_DEFAULTS[key] with this unit. */
  unit?: string;
  otherDefault?: string;
  list?: boolean;
}

const FLAGS: Flag[] = [
  {
    flag: 'config',
    arg: '<file>',
    text: 'JSON config file (see below)',
    otherDefault: '$PROXY_CONFIG, else none',
  },
  {
    flag: 'valkey-url',
    arg: '<url>',
    text: 'Valkey to forward to',
    otherDefault: '$VALKEY_URL, else redis://127.0.0.1:6379',
  },
  {
    flag: 'token',
    arg: '<token>',
    text: 'Accepted bearer token (16+ chars); repeatable',
    otherDefault: '$PROXY_TOKENS',
    list: true,
  },
  {
    flag: 'read-only-token',
    arg: '<token>',
    text: 'Token that may run read commands only; repeatable',
    otherDefault: '$PROXY_READ_ONLY_TOKENS',
    list: true,
  },
  {
    flag: 'port',
    arg: '<n>',
    key: 'port',
    text: 'TCP port to listen on; 0 picks a free one',
    otherDefault: '$PORT, else 8080',
  },
  { flag: 'host', arg: '<addr>', key: 'host', text: 'Address to listen on', unit: '' },
  {
    flag: 'max-body',
    arg: '<bytes>',
    key: 'maxBodyBytes',
    text: 'Largest request body; larger get 413',
    unit: 'bytes',
  },
  {
    flag: 'max-pipeline',
    arg: '<n>',
    key: 'maxPipelineCommands',
    text: 'Most commands per /pipeline or /multi-exec',
    unit: 'commands',
  },
  {
    flag: 'max-args',
    arg: '<n>',
    key: 'maxArgs',
    text: 'Most items (name and arguments) per command',
    unit: 'items',
  },
  {
    flag: 'timeout',
    arg: '<ms>',
    key: 'requestTimeoutMs',
    text: 'Time to receive a request and run its commands; then 503',
    unit: 'ms',
  },
  {
    flag: 'max-block',
    arg: '<ms>',
    key: 'maxBlockMs',
    text: 'Longest block time per request (BLPOP, XREAD BLOCK...)',
    unit: 'ms',
  },
  {
    flag: 'max-blocking',
    arg: '<n>',
    key: 'maxBlockingConnections',
    text: 'Blocking commands at once; more get 503',
    unit: 'connections',
  },
  {
    flag: 'max-subscriptions',
    arg: '<n>',
    key: 'maxSubscriptions',
    text: 'Open /subscribe streams; more get 503',
    unit: 'streams',
  },
  {
    flag: 'deny',
    arg: '<command>',
    key: 'deny',
    text: 'Refused command; repeatable; replaces the default list',
    otherDefault: 'admin, destructive, connection-state and script-management commands, KEYS',
    list: true,
  },
  {
    flag: 'allow',
    arg: '<command>',
    key: 'allow',
    text: 'Command taken off the deny list; repeatable',
    otherDefault: 'none',
    list: true,
  },
  {
    flag: 'scripts',
    arg: '<library|any>',
    key: 'scripts',
    text: "Lua scripts tokens may run: this library's own, or any (then restrict each token's ACL user)",
    unit: '',
  },
  {
    flag: 'cors-origin',
    arg: '<origin>',
    key: 'corsOrigins',
    text: 'Browser origin allowed (CORS), or *; repeatable',
    otherDefault: 'none (CORS off)',
    list: true,
  },
  {
    flag: 'shutdown-timeout',
    arg: '<ms>',
    key: 'shutdownTimeoutMs',
    text: 'Time to finish requests in flight on SIGTERM',
    unit: 'ms',
  },
  {
    flag: 'log-level',
    arg: '<level>',
    text: 'pino level: fatal, error, warn, info, debug, trace, silent',
    otherDefault: 'info',
  },
  { flag: 'help', arg: '', text: 'Show this help' },
];

/** The help of `valkey-transport proxy`: every option with its unit and default. */
export function proxyHelp(): string {
  const lines = FLAGS.map(({ flag, arg, key, text, unit, otherDefault }) => {
    const shown =
      otherDefault ??
      (key === undefined ? undefined : `${String(PROXY_DEFAULTS[key])}${unit ? ` ${unit}` : ''}`);
    const left = `  --${flag}${arg ? ` ${arg}` : ''}`.padEnd(30);
    return `${left}${text}${shown === undefined ? '' : `. Default: ${shown}`}`;
  });
  return `Usage: valkey-transport proxy [options]

Runs the REST proxy (Upstash REST protocol) in front of one Valkey server until SIGTERM or
SIGINT, then finishes the requests in flight and exits.

Options (flags win over the environment, which wins over the config file; tokens from all three
are accepted):
${lines.join('\n')}

Config file: a JSON object with the settings' long names, e.g.
  {"valkeyUrl": "redis://127.0.0.1:6379", "maxBlockMs": 20000, "allow": ["KEYS"],
   "tokens": [{"tokenEnv": "APP_TOKEN", "user": "app", "passwordEnv": "APP_PASSWORD"},
              {"tokenEnv": "READER_TOKEN", "user": "reader", "passwordEnv": "READER_PASSWORD",
               "readOnly": true}]}
Each token runs as its Valkey ACL user, so Valkey enforces that user's commands and key patterns.
$PROXY_TOKENS takes comma-separated tokens or a JSON array of such entries.
`;
}

/** Parses the arguments of `valkey-transport proxy`; undefined means "print the help". */
export function parseProxyArgs(
  args: string[],
  env: NodeJS.ProcessEnv,
): { options: ProxyOptions; logLevel: string } | undefined {
  const spec: Record<string, { type: 'string' | 'boolean'; multiple: boolean; short?: string }> =
    Object.fromEntries(
      FLAGS.map(({ flag, arg, list }) => [
        flag,
        { type: arg ? 'string' : 'boolean', multiple: list ?? false },
      ]),
    );
  spec.help = { type: 'boolean', multiple: false, short: 'h' };
  const values = parseArgs({ args, options: spec }).values as Record<
    string,
    string | string[] | boolean | undefined
  >;
  if (values.help) return undefined;
  const configPath = (values.config as string | undefined) ?? env.PROXY_CONFIG;
  const file = configPath ? loadConfigFile(configPath, env) : {};
  const fromEnv = envOptions(env);
  const flags: Partial<Record<Key, unknown>> = {};
  for (const { flag, key, list } of FLAGS) {
    const value = values[flag];
    if (key === undefined || value === undefined) continue;
    const text = list || key === 'host' || key === 'scripts';
    flags[key] = text ? value : wholeNumber(flag, value as string);
  }
  const tokens: (string | TokenGrant)[] = [
    ...(file.tokens ?? []),
    ...(fromEnv.tokens ?? []),
    ...((values.token as string[] | undefined) ?? []),
    ...((values['read-only-token'] as string[] | undefined) ?? []).map((token) => ({
      token,
      readOnly: true,
    })),
  ];
  const options: ProxyOptions = {
    ...file,
    ...definedOnly({ valkeyUrl: fromEnv.valkeyUrl, port: fromEnv.port }),
    ...(flags as Partial<ProxyOptions>),
    valkeyUrl:
      (values['valkey-url'] as string | undefined) ??
      fromEnv.valkeyUrl ??
      file.valkeyUrl ??
      'redis://127.0.0.1:6379',
    tokens,
  };
  const logLevel = (values['log-level'] as string | undefined) ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new InvalidArgumentError(
      '--log-level',
      logLevel,
      `Use one of: ${LOG_LEVELS.join(', ')}.`,
    );
  }
  return { options, logLevel };
}

/** The levels of pino's default level set. */
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

function wholeNumber(flag: string, value: string): number {
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isSafeInteger(parsed) || parsed < 0) {
    throw new InvalidArgumentError(`--${flag}`, value, 'Pass a whole number.');
  }
  return parsed;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
