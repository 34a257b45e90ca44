// Runs wrk once and reads its summary: requests per second, latency percentiles, errors.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface WrkResult {
  rps: number;
  p50: number;
  p99: number;
  /** Non-2xx responses plus socket errors. */
  errors: number;
}

export interface WrkOptions {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
  seconds: number;
  connections: number;
  /** Folder for the Lua script that sets the method, headers and body. */
  dir: string;
}

/** One wrk run (one thread: the servers need the other cores), after a 1 s warm-up run. */
export function runWrk(options: WrkOptions): WrkResult {
  const script = join(options.dir, 'request.lua');
  const lines = [`wrk.method = ${JSON.stringify(options.method)}`];
  if (options.body !== undefined) lines.push(`wrk.body = ${JSON.stringify(options.body)}`);
  for (const [name, value] of Object.entries(options.headers)) {
    lines.push(`wrk.headers[${JSON.stringify(name)}] = ${JSON.stringify(value)}`);
  }
  writeFileSync(script, `${lines.join('\n')}\n`);
  const args = (seconds: number) => [
    '-t1',
    `-c${options.connections}`,
    `-d${seconds}s`,
    '--latency',
    '-s',
    script,
    options.url,
  ];
  spawnSync('wrk', args(1), { encoding: 'utf8' });
  const result = spawnSync('wrk', args(options.seconds), { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`wrk failed: ${result.stderr}`);
  return parse(result.stdout);
}

function parse(output: string): WrkResult {
  const number = (pattern: RegExp) => Number(pattern.exec(output)?.[1] ?? NaN);
  const errors = number(/Non-2xx or 3xx responses: (\d+)/) || 0 + (number(/timeout (\d+)/) || 0);
  return {
    rps: number(/Requests\/sec:\s+([\d.]+)/),
    p50: millis(/\s50%\s+([\d.]+\w+)/.exec(output)?.[1]),
    p99: millis(/\s99%\s+([\d.]+\w+)/.exec(output)?.[1]),
    errors,
  };
}

function millis(text: string | undefined): number {
  const match = /^([\d.]+)(us|ms|s)$/.exec(text ?? '');
  if (!match) return NaN;
  const value = Number(match[1]);
  return match[2] === 'us' ? value / 1000 : match[2] === 's' ? value * 1000 : value;
}
