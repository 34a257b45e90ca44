// Fuzzes the proxy with generated bodies and paths (bounded in runs and time). Whatever arrives:
// no 5xx other than 503, always a JSON body, no denied command ever runs (checked per request
// and on the server afterwards), the proxy keeps serving and its memory stays bounded.
import { createClient } from '@redis/client';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningProxy } from '../src/node/index.js';
import { DEFAULT_DENY } from '../src/node/proxy/policy.js';
import { startValkey, type ValkeyServer } from '../scripts/lib/valkey-server.js';
import { call, ownProxy, OWN_TOKEN } from './fixtures/proxy-helpers.js';

const RUNS = Number(process.env.PROXY_FUZZ_RUNS ?? 400);
const DENIED = new Set(DEFAULT_DENY);
const SAFE = ['GET', 'SET', 'PING', 'ECHO', 'HSET', 'HGETALL', 'LPUSH', 'LRANGE', 'INCR', 'EXISTS'];
const BLOCKING = ['BLPOP', 'BRPOP', 'BZPOPMIN', 'XREAD'];
const SUBS = ['FLUSH', 'KILL', 'SETNAME', 'LOAD', 'EXISTS', 'REPLY', 'OFF', 'SET', 'GET'];

let valkey: ValkeyServer;
let proxy: RunningProxy;
const admin = () => createClient({ url: valkey.url, RESP: 2 });
let direct: ReturnType<typeof admin>;

beforeAll(async () => {
  valkey = await startValkey();
  proxy = await ownProxy(valkey.url, { maxBlockMs: 50, maxBodyBytes: 64 * 1024 });
  direct = admin();
  await direct.connect();
  await direct.set('sentinel', 'still here');
});
afterAll(async () => {
  direct.destroy();
  await proxy.close();
  await valkey.dispose();
});

/** A command name in random case, from the deny list, safe commands, or made up. */
const name = fc
  .tuple(
    fc.oneof(
      fc.constantFrom(...[...DENIED].map((entry) => entry.split(' ')[0]!)),
      fc.constantFrom(...SAFE, ...BLOCKING, 'SCRIPT', 'MEMORY', 'OBJECT'),
      fc.string({ maxLength: 12 }),
    ),
    fc.array(fc.boolean(), { maxLength: 20 }),
  )
  .map(([word, upper]) =>
    [...word].map((c, i) => (upper[i] ? c.toUpperCase() : c.toLowerCase())).join(''),
  );
const arg = fc.oneof(
  fc.constantFrom(...SUBS, 'fuzz:k', 'fuzz:h', '0', '1', '0.01', 'STREAMS', 'BLOCK', '$'),
  fc.string({ maxLength: 20 }),
  fc.integer(),
  fc.boolean(),
  fc.double(),
);
const command = fc.tuple(name, fc.array(arg, { maxLength: 5 })).map(([n, a]) => [n, ...a]);
/** Anything JSON can hold, for the malformed cases. */
const junk = fc.jsonValue({ maxDepth: 3 });

const request = fc.oneof(
  fc.record({ path: fc.constant('/'), body: fc.oneof(command, junk) }),
  fc.record({
    path: fc.constantFrom('/pipeline', '/multi-exec'),
    body: fc.oneof(fc.array(command, { maxLength: 6 }), fc.array(junk, { maxLength: 3 }), junk),
  }),
  fc.record({ path: command.map(toPath), body: fc.constant(undefined) }),
  fc.record({ path: fc.string({ maxLength: 30 }).map(rawPath), body: fc.constant(undefined) }),
);

function toPath(parts: unknown[]): string {
  return `/${parts.map((part) => encodeURIComponent(String(part))).join('/')}`;
}
function rawPath(text: string): string {
  return `/${text.replace(/[?#]/g, '')}`;
}

/** The commands a request carries, as the proxy would read them (undefined: not parseable). */
function commandsOf(path: string, body: unknown): unknown[][] {
  if (path === '/') return Array.isArray(body) ? [body] : [];
  if (path === '/pipeline' || path === '/multi-exec') {
    return Array.isArray(body) ? body.filter(Array.isArray) : [];
  }
  try {
    return [path.slice(1).split('/').map(decodeURIComponent)];
  } catch {
    return [];
  }
}

function isDenied(command: unknown[]): boolean {
  if (typeof command[0] !== 'string') return false;
  const first = command[0].toUpperCase();
  const second = typeof command[1] === 'string' ? `${first} ${command[1].toUpperCase()}` : '';
  return DENIED.has(first) || DENIED.has(second);
}

describe('proxy fuzzing', () => {
  it('never answers 5xx except 503, never runs a denied command, keeps memory bounded', async () => {
    const heapBefore = process.memoryUsage().heapUsed;
    await fc.assert(
      fc.asyncProperty(
        request,
        fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'),
        async (req, method) => {
          const hasBody = method !== 'GET' && req.body !== undefined;
          const answer = await call(proxy.url + req.path, {
            method,
            headers: {
              authorization: `Bearer ${OWN_TOKEN}`,
              'content-type': 'application/json',
              'upstash-encoding': 'base64',
            },
            body: hasBody ? JSON.stringify(req.body) : undefined,
          });
          expect(answer.status >= 500 && answer.status !== 503, answer.text).toBe(false);
          expect(answer.headers.get('content-type')).toBe('application/json');
          expect(() => answer.json).not.toThrow();
          const sent = req.path.startsWith('/subscribe/') || req.path.startsWith('/psubscribe/');
          if (!sent && commandsOf(req.path, req.body).some(isDenied)) {
            expect(answer.status, `${method} ${req.path} ${answer.text}`).not.toBe(200);
          }
        },
      ),
      { numRuns: RUNS, interruptAfterTimeLimit: 60_000 },
    );
    // Nothing denied ran: the data, the database and the connection state are as they were.
    expect(await direct.get('sentinel')).toBe('still here');
    const clients = String(await direct.sendCommand(['CLIENT', 'LIST']));
    expect(clients).not.toMatch(/ db=[1-9]/);
    expect(clients).not.toMatch(/ name=[^ ]/);
    expect(clients).not.toMatch(/ (sub|psub)=[1-9]/);
    const ping = await call(`${proxy.url}/`, {
      method: 'POST',
      headers: { authorization: `Bearer ${OWN_TOKEN}`, 'content-type': 'application/json' },
      body: '["PING"]',
    });
    expect(ping.json).toEqual({ result: 'PONG' });
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(200 * 1024 * 1024);
  }, 120_000);
});
