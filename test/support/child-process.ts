// Runs test/fixtures/queue-child.ts in its own Node process and reads the JSON lines it prints.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const FIXTURE = fileURLToPath(new URL('../fixtures/queue-child.ts', import.meta.url));

export interface ChildEvent {
  event: string;
  [field: string]: unknown;
}

export interface QueueChild {
  process: ChildProcess;
  /** Resolves with the first event named `name` (earlier ones included); rejects on exit. */
  next(name: string, timeoutMs?: number): Promise<ChildEvent>;
  /** SIGKILLs the child and waits for it to exit. */
  kill(): Promise<void>;
}

export function startChild(env: Record<string, string>): QueueChild {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const events: ChildEvent[] = [];
  const waiters = new Set<() => void>();
  let stderr = '';
  let buffered = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdout!.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) if (line.trim()) events.push(JSON.parse(line) as ChildEvent);
    for (const wake of waiters) wake();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', () => waiters.forEach((wake) => wake()));

  const next = (name: string, timeoutMs = 15_000) =>
    new Promise<ChildEvent>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`No "${name}" event from the child within ${timeoutMs} ms. ${stderr}`));
      }, timeoutMs);
      const check = () => {
        const found = events.find((e) => e.event === name);
        if (found || child.exitCode !== null || child.signalCode !== null) {
          clearTimeout(timer);
          waiters.delete(check);
          if (found) resolve(found);
          else reject(new Error(`The child exited before "${name}": ${stderr}`));
        }
      };
      waiters.add(check);
      check();
    });
  const kill = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  };
  return { process: child, next, kill };
}
