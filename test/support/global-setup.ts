// Starts one Valkey server (unless VALKEY_URL names one) and one REST proxy in front of it for the
// whole run; test files read their addresses with inject().
import { pino } from 'pino';
import type { TestProject } from 'vitest/node';
import { startProxy } from '../../src/node/index.js';
import { startValkey } from '../../scripts/lib/valkey-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    valkeyUrl: string;
    proxyUrl: string;
    proxyToken: string;
    /** A second proxy on the same Valkey that runs any Lua script, as a plain Upstash endpoint. */
    anyScriptProxyUrl: string;
  }
}

export default async function setup(project: TestProject) {
  const external = process.env.VALKEY_URL;
  const valkey = external ? undefined : await startValkey();
  const valkeyUrl = external ?? valkey!.url;
  const proxyToken = `test-token-${crypto.randomUUID()}`;
  const proxy = await startProxy({
    valkeyUrl,
    tokens: [proxyToken],
    port: 0,
    logger: pino({ level: 'silent' }),
  });
  const anyScriptProxy = await startProxy({
    valkeyUrl,
    tokens: [proxyToken],
    port: 0,
    scripts: 'any',
    logger: pino({ level: 'silent' }),
  });
  project.provide('valkeyUrl', valkeyUrl);
  project.provide('anyScriptProxyUrl', anyScriptProxy.url);
  project.provide('proxyUrl', proxy.url);
  project.provide('proxyToken', proxyToken);
  return async () => {
    await proxy.close();
    await anyScriptProxy.close();
    await valkey?.dispose();
  };
}
