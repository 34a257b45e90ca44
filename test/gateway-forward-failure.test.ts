// A gateway that cannot reach the proxy returns 502 without showing the client the internal error.
import { describe, expect, it } from 'vitest';
import { Dispatcher, HttpExecutor, ValkeyTransport } from '../src/node/index.js';
import { freePort } from '../scripts/lib/valkey-server.js';

describe('dispatch with the proxy unreachable', () => {
  it('answers 502 and reports the error', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const executor = new HttpExecutor({ url, token: 'unused-token-0123456789', timeoutMs: 2000 });
    const errors: unknown[] = [];
    const dispatcher = new Dispatcher(new ValkeyTransport(executor), {
      onError: (error) => errors.push(error),
    });
    const response = await dispatcher.dispatch(new Request('http://gateway.test/anything'));
    expect(response.status).toBe(502);
    const { error } = (await response.json()) as { error: string };
    expect(error).toMatch(/failed to forward the request; its log has the error [\w-]+\./);
    expect(error).not.toContain(url);
    expect(errors).toHaveLength(1);
    expect(String(errors[0])).toContain(url);
    expect(error).toContain((errors[0] as { id: string }).id);
    await executor.close();
  });
});
