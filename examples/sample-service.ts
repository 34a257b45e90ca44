// A sample back-end service: registers with HELLO, heartbeats, and answers the requests that the
// gateway puts on its queue, over TCP. On SIGTERM or SIGINT it drains (reports Draining, finishes
// the requests in flight, sends GOODBYE) and exits.
// Run: VALKEY_URL=redis://127.0.0.1:6379 tsx examples/sample-service.ts
import { createTransport, fromEnv, serve, type ValkeyTransport } from '../src/node/index.js';

const transport = (
  process.env.VALKEY_URL ? fromEnv() : createTransport('redis://127.0.0.1:6379')
) as ValkeyTransport;

const instance = await serve({
  transport,
  service: 'greeter',
  version: '1.0.0',
  routes: {
    'GET /hello/:name': (request, { name }) =>
      Response.json({ message: `Hello, ${name}!`, agent: request.headers.get('user-agent') }),
    'POST /echo': async (request) =>
      Response.json({
        received: await request.json(),
        contentType: request.headers.get('content-type'),
      }),
  },
  onError: (error) => console.error('sample service:', error),
  onDrained: () => transport.close(),
});

console.log(JSON.stringify({ ready: instance.instanceId }));
