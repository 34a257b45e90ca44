// Runs wrk once and reads its summary: requests per second, latency percentiles, errors.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface WrkResult {
  rps: number;
  /** Requests completed in the measured run. */
  requests: number;
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

/**
 * One wrk run (one thread: the servers need the other cores), after a 1 s warm-up run. With
 * `pid`, also the CPU time that process spent per request during the measured run.
 */
export function runWrk(options: WrkOptions, pid?: number): WrkResult & { cpuMicros: number } {
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
  const before = pid === undefined ? 0 : cpuSeconds(pid);
  const result = spawnSync('wrk', args(options.seconds), { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`wrk failed: ${result.stderr}`);
  const parsed = parse(result.stdout);
  const spent = pid === undefined ? NaN : cpuSeconds(pid) - before;
  return { ...parsed, cpuMicros: (spent * 1e6) / parsed.requests };
}

/**
 * Returns the user plus system CPU time of a process and its threads, in seconds, from /proc
 * (Linux only, NaN elsewhere). Other load on the machine changes it far less than req/s.
 */
function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return ticks / CLOCK_TICKS_PER_SECOND;
  } catch {
    return NaN;
  }
}

/** USER_HZ, the unit of /proc/<pid>/stat times: 100 on every mainstream Linux architecture. */
const CLOCK_TICKS_PER_SECOND = 100;

function parse(output: string): WrkResult {
  const number = (pattern: RegExp) => Number(pattern.exec(output)?.[1] ?? NaN);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/
    .exec(output)
    ?.slice(1)
    .reduce((sum, count) => sum + Number(count), 0);
  const errors = (number(/Non-2xx or 3xx responses: (\d+)/) || 0) + (socketErrors ?? 0);
  return {
    rps: number(/Requests\/sec:\s+([\d.]+)/),
    requests: number(/(\d+) requests in/),
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
