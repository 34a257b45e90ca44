// Faults seen in real REST proxies, each tested for its whole kind against the shared proxy. The
// ones that need a Valkey of their own (backend down, script flush) are in proxy-backend.test.ts.
import { request } from 'node:http';
import { createClient, RESP_TYPES } from '@redis/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { b64, call, caller } from './fixtures/proxy-helpers.js';
import { uniquePrefix } from './support/adapters.js';

const url = inject('proxyUrl');
const token = inject('proxyToken');
const h = caller(url, token);
const plain = caller(url, token, false);
const direct = createClient({
  url: inject('valkeyUrl'),
  RESP: 2,
  commandOptions: { typeMapping: { [RESP_TYPES.BLOB_STRING]: Buffer } },
});
let p: string;

beforeAll(async () => {
  await direct.connect();
});
afterAll(() => direct.destroy());
const key = (name: string) => `${p}:${name}`;
beforeAll(() => {
  p = uniquePrefix();
});

describe('base64 encoding', () => {
  it('encodes GET and PING, on POST / and in a pipeline', async () => {
    await h.post('/', ['SET', key('foo'), 'bar']);
    expect((await h.post('/', ['GET', key('foo')])).json).toEqual({ result: 'YmFy' });
    const pipeline = await h.post('/pipeline', [['GET', key('foo')], ['PING']]);
    expect(pipeline.json).toEqual([{ result: 'YmFy' }, { result: 'UE9ORw==' }]);
  });

  it('encodes every string at every depth and leaves numbers, nulls and errors alone', async () => {
    const s = key('stream');
    await h.post('/', ['XADD', s, '1-1', 'field', 'välue']);
    await h.post('/', ['HSET', key('hash'), 'f', '12']);
    const answer = await h.post('/pipeline', [
      ['XRANGE', s, '-', '+'],
      ['HGETALL', key('hash')],
      ['INCR', key('counter')],
      ['GET', key('missing')],
      ['LPUSH', key('hash'), 'x'],
      ['MGET', key('missing'), key('foo')],
    ]);
    expect(answer.json).toEqual([
      { result: [[b64('1-1'), [b64('field'), b64('välue')]]] },
      { result: [b64('f'), b64('12')] },
      { result: 1 },
      { result: null },
      { error: expect.stringMatching(/^WRONGTYPE /) },
      { result: [null, 'YmFy'] },
    ]);
  });

  it('sends text without the header, and numbers stored as strings stay strings', async () => {
    await plain.post('/', ['SET', key('num'), '42']);
    expect((await plain.post('/', ['GET', key('num')])).json).toEqual({ result: '42' });
    expect((await plain.post('/', ['GET', key('missing')])).json).toEqual({ result: null });
  });
});

describe('concurrent transactions', () => {
  it('never interleaves a transaction with other requests', async () => {
    const names = ['a', 'b', 'c'].map(key);
    const transactions = names.map((name) => h.post('/multi-exec', [['SET', name, 'foo']]));
    const pings = Array.from({ length: 50 }, () => h.post('/', ['PING']));
    const pipelines = Array.from({ length: 10 }, () => h.post('/pipeline', [['PING'], ['PING']]));
    const results = await Promise.all([...transactions, ...pings, ...pipelines]);
    for (const answer of results.slice(0, 3)) expect(answer.json).toEqual([{ result: 'T0s=' }]);
    for (const answer of results.slice(3, 53)) expect(answer.json).toEqual({ result: 'UE9ORw==' });
    for (const answer of results.slice(53)) expect(answer.text).not.toMatch(/UVVFVUVE|QUEUED/);
    expect(results.map((r) => r.text).join()).not.toMatch(/nested/);
    const mget = await plain.post('/', ['MGET', ...names]);
    expect(mget.json).toEqual({ result: ['foo', 'foo', 'foo'] });
  });
});

describe('bad tokens', () => {
  const attempts: [string, Record<string, string>, string][] = [
    ['a wrong bearer token', { authorization: 'Bearer wrong' }, ''],
    ['no Authorization header', {}, ''],
    ['a scheme other than Bearer', { authorization: `Basic ${token}` }, ''],
    ['a right token with a suffix', { authorization: `Bearer ${token}x` }, ''],
    ['a wrong _token', {}, '?_token=wrong'],
    [
      'a header that wins over a right _token',
      { authorization: 'Bearer wrong' },
      `?_token=${token}`,
    ],
  ];
  it.each(attempts)('answers 401 with a plain JSON error for %s', async (_label, auth, query) => {
    for (const path of ['/', '/pipeline', '/multi-exec', '/get/x', '/subscribe/x']) {
      const answer = await call(`${url}${path}${query}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'upstash-encoding': 'base64', ...auth },
        body: path === '/' ? '["PING"]' : '[["PING"]]',
      });
      expect(answer.status).toBe(401);
      expect(answer.headers.get('content-type')).toBe('application/json');
      expect(answer.json.error).toMatch(/^Unauthorized: pass a valid token/);
    }
  });

  it('accepts the token as ?_token=', async () => {
    const answer = await call(`${url}/ping?_token=${encodeURIComponent(token)}`, {});
    expect(answer.json).toEqual({ result: 'PONG' });
  });
});

describe('garbage in', () => {
  const bad: [string, string, string, Record<string, string>, RegExp][] = [
    ['not JSON', '/', 'not json', {}, /not valid JSON/],
    ['text/plain', '/', '["PING"]', { 'content-type': 'text/plain' }, /Content-Type "text\/plain"/],
    ['an object', '/', '{}', {}, /must be a non-empty array/],
    ['an empty array', '/', '[]', {}, /must be a non-empty array/],
    ['a nested array', '/', '[["GET","a"]]', {}, /item 0: \["GET","a"\] is not a string/],
    ['a null argument', '/', '["SET","k",null]', {}, /item 2: null is not a string/],
    ['an object argument', '/', '["SET","k",{"a":1}]', {}, /item 2: \{"a":1\} is not a string/],
    ['a flat pipeline', '/pipeline', '["GET","a"]', {}, /Command 0 must be a non-empty array/],
    ['an empty pipeline', '/pipeline', '[]', {}, /non-empty array of commands/],
    ['an empty command', '/multi-exec', '[[]]', {}, /Command 0 must be a non-empty array/],
    ['a non-finite number', '/', '["SET","k",1e999]', {}, /item 2: null is not a string/],
  ];
  it.each(bad)('answers 400 with a JSON error for %s', async (_label, path, body, extra, why) => {
    const answer = await h.post(path, body, extra);
    expect(answer.status).toBe(400);
    expect(answer.headers.get('content-type')).toBe('application/json');
    expect(answer.json.error).toMatch(why);
  });

  it('answers 404 for an unknown route and 405 for a wrong method', async () => {
    const unknown = await h.get('/no/such/route/at/all');
    expect(unknown.status).toBe(404);
    expect(unknown.json.error).toMatch(/No such endpoint: GET \/no\/such\/route\/at\/all/);
    const get = await h.get('/pipeline');
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST, PUT');
    const del = await call(`${url}/get/x`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(del.status).toBe(405);
    expect(del.json.error).toMatch(/Method DELETE is not allowed/);
  });

  it('accepts a JSON content type with a charset, or none', async () => {
    const charset = await h.post('/', '["PING"]', {
      'content-type': 'application/json; charset=utf-8',
    });
    expect(charset.json).toEqual({ result: 'UE9ORw==' });
    // A byte body makes fetch send no Content-Type at all.
    const none = await call(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: new TextEncoder().encode('["PING"]'),
    });
    expect(none.json).toEqual({ result: 'PONG' });
  });
});

describe('characters and bytes', () => {
  it('round-trips astral characters as strict JSON without base64', async () => {
    const text = '🫶 Zoë 𝄞 \u2028 "quoted" \\';
    await plain.post('/', ['HSET', key('h'), 'f', text]);
    const answer = await plain.post('/', ['HGETALL', key('h')]);
    expect(JSON.parse(answer.text)).toEqual({ result: ['f', text] });
  });

  it('reads stored bytes exactly with base64 and as U+FFFD text without it', async () => {
    await direct.set(key('bytes'), Buffer.from([0xff, 0xfe]));
    await direct.rPush(key('list'), [Buffer.from([0x80, 0x41]), Buffer.from([0xf0, 0x9f])]);
    expect((await h.post('/', ['GET', key('bytes')])).json).toEqual({ result: '//4=' });
    expect((await h.post('/', ['LRANGE', key('list'), '0', '-1'])).json).toEqual({
      result: ['gEE=', '8J8='],
    });
    const text = await plain.post('/', ['GET', key('bytes')]);
    expect(JSON.parse(text.text)).toEqual({ result: '\uFFFD\uFFFD' });
  });
});

describe('oversized bodies', () => {
  const big = 'x'.repeat(11 * 1024 * 1024);

  it('answers 413 with a whole JSON body to fetch', async () => {
    const answer = await h.post('/', ['SET', key('k'), big]);
    expect(answer.status).toBe(413);
    expect(answer.json.error).toMatch(/over the limit of 10485760 bytes/);
  });

  it.each([
    ['with Content-Length', true],
    ['chunked', false],
  ])('writes the whole 413 before closing, body sent %s', async (_label, withLength) => {
    const body = Buffer.from(JSON.stringify(['SET', key('k'), big]));
    const answer = await rawPost(`${url}/`, body, withLength);
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.text).error).toMatch(/over the limit/);
    expect(answer.text.length).toBe(Number(answer.length));
  });

  it('applies the limit to the path form and to pipelines', async () => {
    const pathForm = await call(`${url}/set/${key('k')}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: big,
    });
    expect(pathForm.status).toBe(413);
    const pipeline = await h.post('/pipeline', [['SET', key('k'), big]]);
    expect(pipeline.status).toBe(413);
    expect((await plain.post('/', ['EXISTS', key('k')])).json).toEqual({ result: 0 });
  });
});

/** POSTs with node:http, reading the response while the body is still being written. */
function rawPost(target: string, body: Buffer, withLength: boolean) {
  return new Promise<{ status: number; text: string; length: string | undefined }>(
    (resolve, reject) => {
      const headers: Record<string, string> = {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
      };
      if (withLength) headers['content-length'] = String(body.length);
      const req = request(target, { method: 'POST', headers }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode!, text, length: res.headers['content-length'] }),
        );
        res.on('error', reject);
      });
      req.on('error', reject);
      for (let i = 0; i < body.length; i += 1024 * 1024)
        req.write(body.subarray(i, i + 1024 * 1024));
      req.end();
    },
  );
}

describe('errors inside a transaction', () => {
  it('keeps run-time errors in place and answers 200', async () => {
    await h.post('/', ['SET', key('s'), 'x']);
    const answer = await h.post('/multi-exec', [
      ['SET', key('k'), 'v'],
      ['LPUSH', key('s'), 'y'],
      ['GET', key('k')],
    ]);
    expect(answer.status).toBe(200);
    expect(answer.json).toEqual([
      { result: 'T0s=' },
      { error: expect.stringMatching(/^WRONGTYPE Operation against a key holding the wrong kind/) },
      { result: 'dg==' },
    ]);
  });

  it.each([
    ['wrong arity', [['SET', 'k']]],
    ['an unknown command', [['PING'], ['NOSUCHCOMMAND', 'x']]],
  ])('answers 400 with EXECABORT when Valkey discards it (%s)', async (_label, commands) => {
    const answer = await h.post('/multi-exec', commands);
    expect(answer.status).toBe(400);
    expect(answer.json.error).toMatch(/^EXECABORT Transaction discarded/);
  });
});

describe('connection state', () => {
  const stateful = [
    ['SELECT', '1'],
    ['CLIENT', 'SETNAME', 'x'],
    ['MULTI'],
    ['SUBSCRIBE', 'ch'],
    ['FLUSHALL'],
    ['SWAPDB', '0', '1'],
    ['CLIENT', 'REPLY', 'OFF'],
    ['RESET'],
    ['HELLO', '3'],
    ['WATCH', 'k'],
  ];
  const cases = (word: string) => [word.toUpperCase(), word.toLowerCase(), mixed(word)];
  const mixed = (word: string) =>
    [...word].map((c, i) => (i % 2 ? c.toLowerCase() : c.toUpperCase())).join('');

  it('refuses them on every endpoint and in every case, then reads database 0', async () => {
    await h.post('/', ['SET', key('db0'), 'here']);
    for (const [name, ...args] of stateful) {
      for (const spelled of cases(name!)) {
        const command = [spelled, ...args];
        const answers = await Promise.all([
          h.post('/', command),
          h.post('/pipeline', [['PING'], command]),
          h.post('/multi-exec', [command]),
          // GET /subscribe/<channel> is the subscription stream, not the path form.
          spelled === 'subscribe'
            ? h.post('/', command)
            : h.get(`/${command.map(encodeURIComponent).join('/')}`),
        ]);
        for (const answer of answers) {
          expect(answer.status, `${command.join(' ')}`).toBe(403);
          expect(answer.json.error).toMatch(/is denied: it is on this proxy's deny list/);
        }
      }
    }
    expect((await plain.post('/', ['GET', key('db0')])).json).toEqual({ result: 'here' });
    const name = await direct.sendCommand(['CLIENT', 'LIST']);
    expect(String(name)).not.toMatch(/ name=x /);
  });
});
