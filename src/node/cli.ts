#!/usr/bin/env node
// Command line entry: `valkey-transport proxy [options]` runs the REST proxy until SIGTERM/SIGINT.
import { pino } from 'pino';
import { parseProxyArgs, proxyHelp } from './proxy/cli-options.js';
import { startProxy } from './proxy/server.js';

const USAGE = `Usage: valkey-transport <command> [options]

Commands:
  proxy    Run the REST proxy (Upstash REST protocol) in front of Valkey; see proxy --help
`;

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '-h' || command === '--help') {
    process.stdout.write(USAGE);
    return command === undefined ? 1 : 0;
  }
  if (command !== 'proxy') {
    process.stderr.write(`Unknown command ${JSON.stringify(command)}.\n\n${USAGE}`);
    return 1;
  }
  const parsed = parseProxyArgs(rest, process.env);
  if (parsed === undefined) {
    process.stdout.write(proxyHelp());
    return 0;
  }
  const logger = pino({ name: 'valkey-transport-proxy', level: parsed.logLevel });
  const proxy = await startProxy({ ...parsed.options, logger });
  const signal = await new Promise<string>((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });
  logger.info({ signal }, 'shutting down');
  await proxy.close();
  return 0;
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
