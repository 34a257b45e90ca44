// A sample back-end service: registers with HELLO, heartbeats, and answers the requests that the
// gateway puts on its queue, over TCP. Run: VALKEY_URL=redis://127.0.0.1:6379 tsx examples/sample-service.ts
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
});

console.log(JSON.stringify({ ready: instance.instanceId }));

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    void instance.stop().then(async () => {
      await transport.close();
      process.exit(0);
    });
  });
}
