// Runs the gateway worker in workerd through Miniflare, bundled by esbuild exactly as wrangler
// would bundle it, so tests and the demo exercise the real worker.
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import { fileURLToPath } from 'node:url';

const ENTRY = fileURLToPath(new URL('../../worker/index.ts', import.meta.url));

/** Must match wrangler.toml; later dates are rejected by the workerd that miniflare 4.20260426 ships. */
export const COMPATIBILITY_DATE = '2026-04-26';

export interface RunningWorker {
  /** Base URL of the worker, e.g. `http://127.0.0.1:8787`. */
  url: string;
  mf: Miniflare;
  dispose(): Promise<void>;
}

/** Bundles an entry point into one ES module for workerd. */
export async function bundleWorker(entry = ENTRY): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    mainFields: ['module', 'main'],
    conditions: ['workerd', 'worker', 'browser'],
    external: ['cloudflare:*'],
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

/** Starts the worker on a free port with the given bindings. */
export async function startWorker(
  bindings: Record<string, string>,
  entry?: string,
): Promise<RunningWorker> {
  const script = await bundleWorker(entry);
  const mf = new Miniflare({
    modules: true,
    script,
    compatibilityDate: COMPATIBILITY_DATE,
    bindings,
    host: '127.0.0.1',
    port: 0,
  });
  const url = (await mf.ready).toString().replace(/\/$/, '');
  return { url, mf, dispose: () => mf.dispose() };
}
