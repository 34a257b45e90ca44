// The gateway as a Cloudflare Worker: a Hono app that reaches Valkey through the REST proxy and
// dispatches every request that is not its own to the service registered for the route.
// `/healthz` and `/services` belong to the gateway, so services cannot serve those two paths.
import { Hono } from 'hono';
import { jsonError, type Dispatcher } from '../src/index.js';
import { configKey, createDispatcher, type Env } from './config.js';
import { requireServicesToken } from './services-auth.js';

export type { Env } from './config.js';

// One dispatcher per isolate and configuration, so requests share the routing-table cache and
// the executors' request slots.
let cached: { key: string; dispatcher: Dispatcher } | undefined;

function dispatcherFor(env: Env): Dispatcher {
  const key = configKey(env);
  if (cached?.key !== key) cached = { key, dispatcher: createDispatcher(env) };
  return cached.dispatcher;
}

const app = new Hono<{ Bindings: Env }>();

app.get('/healthz', async (c) => {
  try {
    const table = await dispatcherFor(c.env).table();
    return c.json({ status: 'ok', instances: table.instances.length });
  } catch (error) {
    return c.json({ status: 'unavailable', error: messageOf(error) }, 503);
  }
});

app.get('/services', requireServicesToken, async (c) => c.json(await dispatcherFor(c.env).table()));

app.all('*', (c) => dispatcherFor(c.env).dispatch(c.req.raw));

app.onError((error) => jsonError(502, `The gateway failed: ${messageOf(error)}`));

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export default app;
