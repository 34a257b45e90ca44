// The two ways to reach Valkey, so one suite can run every primitive over both.
import { inject } from 'vitest';
import { createTransport, type ValkeyTransport } from '../../src/node/index.js';

export interface AdapterCase {
  name: 'tcp' | 'http';
  /**
   * A transport with a key prefix of its own, so tests never see each other's keys. Over HTTP,
   * `anyScripts` picks the proxy that runs scripts other than the library's own.
   */
  create(options?: { prefix?: string; timeoutMs?: number; anyScripts?: boolean }): ValkeyTransport;
}

export function uniquePrefix(): string {
  return `t${crypto.randomUUID().slice(0, 8)}`;
}

export const adapters: AdapterCase[] = [
  {
    name: 'tcp',
    create: (options = {}) =>
      createTransport({
        url: inject('valkeyUrl'),
        prefix: options.prefix ?? uniquePrefix(),
        timeoutMs: options.timeoutMs,
      }) as ValkeyTransport,
  },
  {
    name: 'http',
    create: (options = {}) =>
      createTransport({
        url: inject(options.anyScripts ? 'anyScriptProxyUrl' : 'proxyUrl'),
        token: inject('proxyToken'),
        prefix: options.prefix ?? uniquePrefix(),
        timeoutMs: options.timeoutMs,
      }) as ValkeyTransport,
  },
];
