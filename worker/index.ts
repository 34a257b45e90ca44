// The gateway as a Cloudflare Worker: a Hono app that reaches Valkey through the REST proxy and
// dispatches every request that is not its own to the service registered for the route.
import { Hono } from 'hono';
import { Dispatcher, HttpExecutor, jsonError, ValkeyTransport } from '../src/index.js';

export interface Env {
  /** Base URL of the REST proxy (a [vars] entry in wrangler.toml). */
  VALKEY_REST_URL: string;
  /** Token of the REST proxy (a secret: `wrangler secret put VALKEY_REST_TOKEN`). */
  VALKEY_REST_TOKEN: string;
  /** Time a dispatched request may take, in ms. Default 10000. */
  DISPATCH_TIMEOUT_MS?: string;
  /** Key prefix shared with the services. Default `vt`. */
  KEY_PREFIX?: string;
}

// One dispatcher per isolate and configuration, so requests share the routing-table cache and
// the HTTP executor's connection pool.
let cached: { key: string; dispatcher: Dispatcher } | undefined;

function dispatcherFor(env: Env): Dispatcher {
  const key = `${env.VALKEY_REST_URL} ${env.VALKEY_REST_TOKEN} ${env.DISPATCH_TIMEOUT_MS} ${env.KEY_PREFIX}`;
  if (cached?.key !== key) {
    const executor = new HttpExecutor({ url: env.VALKEY_REST_URL, token: env.VALKEY_REST_TOKEN });
    const transport = new ValkeyTransport(executor, env.KEY_PREFIX || 'vt');
    const timeoutMs = env.DISPATCH_TIMEOUT_MS ? Number(env.DISPATCH_TIMEOUT_MS) : undefined;
    cached = { key, dispatcher: new Dispatcher(transport, { timeoutMs }) };
  }
  return cached.dispatcher;
}

const app = new Hono<{ Bindings: Env }>();

app.get('/healthz', async (c) => {
  try {
    const table = await dispatcherFor(c.env).table();
    return c.json({ status: 'ok', instances: table.instances.length });
  } catch (error) {
    return c.json({ status: 'unavailable', error: String(error) }, 503);
  }
});

app.get('/services', async (c) => c.json(await dispatcherFor(c.env).table()));

app.all('*', (c) => dispatcherFor(c.env).dispatch(c.req.raw));

app.onError((error) => jsonError(502, `The gateway could not reach Valkey: ${error.message}`));

export default app;
