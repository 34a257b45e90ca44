// @upstash/redis 1.39 with its default options (auto-pipelining, base64 replies, its Script helper)
// against the proxy. Every step runs once through @upstash/redis on keys of one prefix and once
// as raw commands over TCP on keys of another; the client's result must equal the TCP reply as
// the client would read it (JSON-parsed values, objects for hashes and stream entries).
import { createClient } from '@redis/client';
import { Redis } from '@upstash/redis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { uniquePrefix } from './support/adapters.js';

type Key = (name: string) => string;
interface Step {
  label: string;
  /** The call through @upstash/redis. */
  up: (redis: Redis, k: Key) => Promise<unknown>;
  /** The same command(s) over TCP; several make a pipeline or transaction. */
  raw: (k: Key) => string[] | string[][];
  /** How the client reads the TCP reply. Default: each string JSON-parsed where it parses. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- replies of every command shape
  read?: (reply: any) => unknown;
}

const tcp = createClient({ url: inject('valkeyUrl'), RESP: 2 });
// The proxy that runs any script, because the Script helper sends scripts of its own.
const redis = new Redis({ url: inject('anyScriptProxyUrl'), token: inject('proxyToken') });
beforeAll(() => tcp.connect());
afterAll(() => tcp.destroy());

/** Reads a string as @upstash/redis does: JSON where it parses and numbers round-trip. */
function parsed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(parsed);
  if (typeof value !== 'string') return value;
  try {
    const result = JSON.parse(value) as unknown;
    return typeof result === 'number' && String(result) !== value ? value : result;
  } catch {
    return value;
  }
}
const hash = (pairs: string[]) =>
  pairs.length === 0
    ? null
    : Object.fromEntries(pairs.flatMap((v, i) => (i % 2 ? [] : [[v, parsed(pairs[i + 1])]])));
const entries = (list: [string, string[]][]) =>
  Object.fromEntries(list.map(([id, fields]) => [id, hash(fields)]));
const sorted = (list: unknown) => [...(parsed(list) as unknown[])].sort();

const scenarios: Record<string, Step[]> = {
  strings: [
    { label: 'set', up: (r, k) => r.set(k('s'), 'hello'), raw: (k) => ['SET', k('s'), 'hello'] },
    { label: 'get', up: (r, k) => r.get(k('s')), raw: (k) => ['GET', k('s')] },
    {
      label: 'set json',
      up: (r, k) => r.set(k('j'), { a: [1, 'ü🫶'] }),
      raw: (k) => ['SET', k('j'), '{"a":[1,"ü🫶"]}'],
    },
    { label: 'get json', up: (r, k) => r.get(k('j')), raw: (k) => ['GET', k('j')] },
    { label: 'incrby', up: (r, k) => r.incrby(k('n'), 5), raw: (k) => ['INCRBY', k('n'), '5'] },
    {
      label: 'incrbyfloat',
      up: (r, k) => r.incrbyfloat(k('n'), 0.5),
      raw: (k) => ['INCRBYFLOAT', k('n'), '0.5'],
    },
    { label: 'append', up: (r, k) => r.append(k('s'), '!'), raw: (k) => ['APPEND', k('s'), '!'] },
    {
      label: 'mget',
      up: (r, k) => r.mget(k('s'), k('none'), k('n')),
      raw: (k) => ['MGET', k('s'), k('none'), k('n')],
    },
    {
      label: 'set nx',
      up: (r, k) => r.set(k('s'), 'x', { nx: true }),
      raw: (k) => ['SET', k('s'), 'x', 'NX'],
    },
    {
      label: 'getrange',
      up: (r, k) => r.getrange(k('s'), 1, 3),
      raw: (k) => ['GETRANGE', k('s'), '1', '3'],
    },
    { label: 'strlen', up: (r, k) => r.strlen(k('s')), raw: (k) => ['STRLEN', k('s')] },
    {
      label: 'del',
      up: (r, k) => r.del(k('s'), k('none')),
      raw: (k) => ['DEL', k('s'), k('none')],
    },
  ],
  hashes: [
    {
      label: 'hset',
      up: (r, k) => r.hset(k('h'), { a: 1, b: 'two', c: '{"x":1}' }),
      raw: (k) => ['HSET', k('h'), 'a', '1', 'b', 'two', 'c', '{"x":1}'],
    },
    { label: 'hget', up: (r, k) => r.hget(k('h'), 'c'), raw: (k) => ['HGET', k('h'), 'c'] },
    {
      label: 'hgetall',
      up: (r, k) => r.hgetall(k('h')),
      raw: (k) => ['HGETALL', k('h')],
      read: hash,
    },
    {
      label: 'hincrby',
      up: (r, k) => r.hincrby(k('h'), 'a', 2),
      raw: (k) => ['HINCRBY', k('h'), 'a', '2'],
    },
    { label: 'hlen', up: (r, k) => r.hlen(k('h')), raw: (k) => ['HLEN', k('h')] },
    { label: 'hkeys', up: (r, k) => r.hkeys(k('h')), raw: (k) => ['HKEYS', k('h')], read: sorted },
    { label: 'hdel', up: (r, k) => r.hdel(k('h'), 'b'), raw: (k) => ['HDEL', k('h'), 'b'] },
    {
      label: 'hgetall empty',
      up: (r, k) => r.hgetall(k('none')),
      raw: (k) => ['HGETALL', k('none')],
      read: hash,
    },
  ],
  lists: [
    {
      label: 'rpush',
      up: (r, k) => r.rpush<unknown>(k('l'), 'a', 'b', 'c', 4),
      raw: (k) => ['RPUSH', k('l'), 'a', 'b', 'c', '4'],
    },
    { label: 'lpush', up: (r, k) => r.lpush(k('l'), 'z'), raw: (k) => ['LPUSH', k('l'), 'z'] },
    {
      label: 'lrange',
      up: (r, k) => r.lrange(k('l'), 0, -1),
      raw: (k) => ['LRANGE', k('l'), '0', '-1'],
    },
    { label: 'lpop', up: (r, k) => r.lpop(k('l')), raw: (k) => ['LPOP', k('l')] },
    { label: 'lpop count', up: (r, k) => r.lpop(k('l'), 2), raw: (k) => ['LPOP', k('l'), '2'] },
    { label: 'llen', up: (r, k) => r.llen(k('l')), raw: (k) => ['LLEN', k('l')] },
    { label: 'lindex', up: (r, k) => r.lindex(k('l'), -1), raw: (k) => ['LINDEX', k('l'), '-1'] },
    {
      label: 'lpos',
      up: (r, k) => r.lpos(k('l'), 'c'),
      raw: (k) => ['LPOS', k('l'), 'c'],
    },
  ],
  sets: [
    {
      label: 'sadd',
      up: (r, k) => r.sadd(k('set'), 'a', 'b', 'c'),
      raw: (k) => ['SADD', k('set'), 'a', 'b', 'c'],
    },
    {
      label: 'smembers',
      up: (r, k) => r.smembers(k('set')),
      raw: (k) => ['SMEMBERS', k('set')],
      read: sorted,
    },
    {
      label: 'sismember',
      up: (r, k) => r.sismember(k('set'), 'b'),
      raw: (k) => ['SISMEMBER', k('set'), 'b'],
    },
    { label: 'scard', up: (r, k) => r.scard(k('set')), raw: (k) => ['SCARD', k('set')] },
    {
      label: 'srem',
      up: (r, k) => r.srem(k('set'), 'a', 'x'),
      raw: (k) => ['SREM', k('set'), 'a', 'x'],
    },
  ],
  'sorted sets': [
    {
      label: 'zadd',
      up: (r, k) => r.zadd(k('z'), { score: 1.5, member: 'a' }, { score: 3, member: 'b' }),
      raw: (k) => ['ZADD', k('z'), '1.5', 'a', '3', 'b'],
    },
    { label: 'zscore', up: (r, k) => r.zscore(k('z'), 'a'), raw: (k) => ['ZSCORE', k('z'), 'a'] },
    {
      label: 'zincrby',
      up: (r, k) => r.zincrby(k('z'), 2, 'a'),
      raw: (k) => ['ZINCRBY', k('z'), '2', 'a'],
    },
    {
      label: 'zrange',
      up: (r, k) => r.zrange(k('z'), 0, -1, { withScores: true }),
      raw: (k) => ['ZRANGE', k('z'), '0', '-1', 'WITHSCORES'],
    },
    { label: 'zrank', up: (r, k) => r.zrank(k('z'), 'b'), raw: (k) => ['ZRANK', k('z'), 'b'] },
    { label: 'zcard', up: (r, k) => r.zcard(k('z')), raw: (k) => ['ZCARD', k('z')] },
    { label: 'zrem', up: (r, k) => r.zrem(k('z'), 'a'), raw: (k) => ['ZREM', k('z'), 'a'] },
  ],
  streams: [
    {
      label: 'xadd',
      up: (r, k) => r.xadd(k('x'), '1-1', { f: 'v', n: 1 }),
      raw: (k) => ['XADD', k('x'), '1-1', 'f', 'v', 'n', '1'],
    },
    {
      label: 'xadd 2',
      up: (r, k) => r.xadd(k('x'), '2-1', { f: 'w' }),
      raw: (k) => ['XADD', k('x'), '2-1', 'f', 'w'],
    },
    { label: 'xlen', up: (r, k) => r.xlen(k('x')), raw: (k) => ['XLEN', k('x')] },
    {
      label: 'xrange',
      up: (r, k) => r.xrange(k('x'), '-', '+'),
      raw: (k) => ['XRANGE', k('x'), '-', '+'],
      read: entries,
    },
    { label: 'xdel', up: (r, k) => r.xdel(k('x'), '1-1'), raw: (k) => ['XDEL', k('x'), '1-1'] },
  ],
  scripts: [
    {
      label: 'eval',
      up: (r, k) => r.eval('return {KEYS[1], ARGV[1], 7}', [k('e')], ['arg']),
      raw: (k) => ['EVAL', 'return {KEYS[1], ARGV[1], 7}', '1', k('e'), 'arg'],
    },
    {
      label: 'Script helper',
      up: (r, k) =>
        r
          .createScript(`return redis.call('INCRBY', KEYS[1], ARGV[1]) -- ${k('')}`)
          .exec([k('c')], ['3']),
      raw: (k) => [
        'EVAL',
        `return redis.call('INCRBY', KEYS[1], ARGV[1]) -- ${k('')}`,
        '1',
        k('c'),
        '3',
      ],
    },
  ],
  pipelines: [
    {
      label: 'pipeline',
      up: (r, k) =>
        r
          .pipeline()
          .set(k('p'), 1)
          .incr(k('p'))
          .get(k('p'))
          .lpush(k('p'), 'x')
          .exec({ keepErrors: true })
          .then((all) => all.map((e) => e.result ?? e.error?.split(' ')[0])),
      raw: (k) => [
        ['SET', k('p'), '1'],
        ['INCR', k('p')],
        ['GET', k('p')],
        ['LPUSH', k('p'), 'x'],
      ],
    },
  ],
  transactions: [
    {
      label: 'multi',
      up: (r, k) => r.multi().set(k('t'), 'a').append(k('t'), 'b').get(k('t')).exec(),
      raw: (k) => [
        ['SET', k('t'), 'a'],
        ['APPEND', k('t'), 'b'],
        ['GET', k('t')],
      ],
    },
  ],
};

/** Runs one step over TCP: one command, or several as a transaction for the multi scenario. */
async function overTcp(commands: string[] | string[][], atomic: boolean): Promise<unknown> {
  if (!Array.isArray(commands[0])) return tcp.sendCommand(commands as string[]);
  const list = commands as string[][];
  if (atomic) {
    const multi = tcp.multi();
    for (const command of list) multi.addCommand(command);
    return multi.exec();
  }
  return Promise.all(
    list.map((command) =>
      tcp.sendCommand(command).catch((error: Error) => error.message.split(' ')[0]),
    ),
  );
}

describe.each(Object.entries(scenarios))('@upstash/redis %s', (name, steps) => {
  it('gives the results that the same commands give over TCP', async () => {
    const up = uniquePrefix();
    const raw = uniquePrefix();
    for (const step of steps) {
      const viaProxy = await step.up(redis, (n) => `${up}:${n}`);
      const reply = await overTcp(
        step.raw((n) => `${raw}:${n}`),
        name === 'transactions',
      );
      // Key names in replies (BLPOP, EVAL) differ only by prefix.
      const expected = JSON.parse(JSON.stringify((step.read ?? parsed)(reply)).replaceAll(raw, up));
      expect(viaProxy, step.label).toEqual(expected);
    }
  });
});

describe('@upstash/redis auto-pipelining', () => {
  it('batches concurrent calls into /pipeline and keeps each result apart', async () => {
    const p = uniquePrefix();
    const before = (redis as unknown as { pipelineCounter: number }).pipelineCounter;
    const results = await Promise.all([
      redis.set(`${p}:a`, 'x'),
      redis.incr(`${p}:n`),
      redis.get(`${p}:missing`),
      redis.lpush(`${p}:a`, 'y').catch((error: Error) => error.message),
      redis.hset(`${p}:h`, { f: 1 }),
    ]);
    expect(results[0]).toBe('OK');
    expect(results[1]).toBe(1);
    expect(results[2]).toBeNull();
    expect(String(results[3])).toMatch(/WRONGTYPE|failed/);
    expect(results[4]).toBe(1);
    const after = (redis as unknown as { pipelineCounter: number }).pipelineCounter;
    expect(after - before).toBeLessThanOrEqual(2);
  });
});
