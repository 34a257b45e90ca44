#!/usr/bin/env node
// Command line entry: `valkey-transport proxy [options]` runs the REST proxy until SIGTERM/SIGINT.
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { startProxy } from './proxy/server.js';

const HELP = `Usage: valkey-transport proxy [options]

Runs the REST proxy (Upstash REST protocol) in front of one Valkey server.

Options:
  --valkey-url <url>   Valkey to forward to. Default: $VALKEY_URL, else redis://127.0.0.1:6379
  --token <token>      Accepted bearer token; repeat for several. Default: $PROXY_TOKENS
                       (comma-separated). At least one token of 8+ characters is required.
  --port <n>           TCP port to listen on; 0 picks a free one. Default: $PORT, else 8080
  --host <addr>        Address to listen on. Default: 127.0.0.1
  --max-body <bytes>   Largest request body; larger ones get 413. Default: 10485760 (10 MiB)
  --max-block <ms>     Longest a blocking command may block. Default: 30000
  --log-level <level>  pino level: fatal, error, warn, info, debug, trace, silent. Default: info
  -h, --help           Show this help
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help') {
    process.stdout.write(HELP);
    return command === undefined ? 1 : 0;
  }
  if (command !== 'proxy') {
    process.stderr.write(`Unknown command ${JSON.stringify(command)}.\n\n${HELP}`);
    return 1;
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      'valkey-url': { type: 'string' },
      token: { type: 'string', multiple: true },
      port: { type: 'string' },
      host: { type: 'string' },
      'max-body': { type: 'string' },
      'max-block': { type: 'string' },
      'log-level': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const tokens = values.token ?? (process.env.PROXY_TOKENS ?? '').split(',').filter(Boolean);
  const logger = pino({ name: 'valkey-transport-proxy', level: values['log-level'] ?? 'info' });
  const proxy = await startProxy({
    valkeyUrl: values['valkey-url'] ?? process.env.VALKEY_URL ?? 'redis://127.0.0.1:6379',
    tokens,
    port: numberOption('--port', values.port ?? process.env.PORT, 8080),
    host: values.host,
    maxBodyBytes: numberOption('--max-body', values['max-body'], 10 * 1024 * 1024),
    maxBlockMs: numberOption('--max-block', values['max-block'], 30_000),
    logger,
  });
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal }, 'shutting down');
      resolve();
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  await proxy.close();
  return 0;
}

function numberOption(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) {
    throw new Error(`Invalid ${name} ${JSON.stringify(value)}: pass a whole number.`);
  }
  return parsed;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `valkey-transport: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    process.exit(1);
  },
);
