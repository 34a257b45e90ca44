// The gateway as a Cloudflare Worker: a Hono app that reaches Valkey through the REST proxy and
// dispatches every request that is not its own to the service registered for the route.
// `/healthz` and `/services` belong to the gateway, so services cannot serve those two paths.
import { Hono } from 'hono';
import { jsonError, RoutingCache, type Dispatcher } from '../src/index.js';
import { configKey, createDispatcher, tableCacheMs, type Env } from './config.js';
import { requireServicesToken } from './services-auth.js';

export type { Env } from './config.js';

// One routing-table cache per isolate and configuration, shared by the requests. Everything that
// does I/O (executors, dispatcher) is built per request: in workerd a request cannot use I/O that
// another request started, so requests must not share batched fetches or request slots.
let cached: { key: string; routes: RoutingCache } | undefined;

function dispatcherFor(env: Env): Dispatcher {
  const key = configKey(env);
  if (cached?.key !== key) cached = { key, routes: new RoutingCache(tableCacheMs(env)) };
  return createDispatcher(env, cached.routes);
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
