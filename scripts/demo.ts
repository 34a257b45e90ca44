// npm run demo: starts Valkey, the REST proxy, the sample service and the gateway worker in
// workerd, sends real HTTP requests through the worker, prints what comes back, and stops it all.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { startProxy } from '../src/node/index.js';
import { startValkey } from './lib/valkey-server.js';
import { startWorker } from './lib/worker.js';

const SERVICE = fileURLToPath(new URL('../examples/sample-service.ts', import.meta.url));

function step(text: string): void {
  console.log(`\n== ${text}`);
}

step('Starting Valkey');
const valkey = process.env.VALKEY_URL ? undefined : await startValkey();
const valkeyUrl = process.env.VALKEY_URL ?? valkey!.url;
console.log(`Valkey at ${valkeyUrl}`);

step('Starting the REST proxy');
const token = crypto.randomUUID();
const proxy = await startProxy({
  valkeyUrl,
  tokens: [token],
  port: 0,
  logger: pino({ level: 'warn' }),
});
console.log(`Proxy at ${proxy.url}`);

step('Starting the sample service (greeter 1.0.0, over TCP)');
const service = spawn(process.execPath, ['--import', 'tsx', SERVICE], {
  env: { ...process.env, VALKEY_URL: valkeyUrl },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const lines = createInterface({ input: service.stdout! });
const [firstLine] = (await Promise.race([once(lines, 'line'), once(service, 'exit')])) as [string];
if (typeof firstLine !== 'string' || !firstLine.includes('ready'))
  throw new Error('The sample service did not start.');
console.log(`Service instance ${JSON.parse(firstLine).ready} registered`);

step('Starting the gateway worker in workerd (Miniflare)');
const servicesToken = crypto.randomUUID();
const worker = await startWorker({
  VALKEY_REST_URL: proxy.url,
  VALKEY_REST_TOKEN: token,
  SERVICES_TOKEN: servicesToken,
  DISPATCH_TIMEOUT_MS: '5000',
});
console.log(`Worker at ${worker.url}`);

const requests: { label: string; path: string; init?: RequestInit; expected: number }[] = [
  { label: 'GET a route the service serves', path: '/hello/world', expected: 200 },
  {
    label: 'POST a JSON body',
    path: '/echo',
    init: {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ order: 42, items: ['tea', 'cake'] }),
    },
    expected: 200,
  },
  { label: 'GET a route nobody serves', path: '/no/such/route', expected: 503 },
  {
    label: 'GET the routing table',
    path: '/services',
    init: { headers: { authorization: `Bearer ${servicesToken}` } },
    expected: 200,
  },
];

let failures = 0;
try {
  for (const request of requests) {
    step(`${request.label}: ${request.init?.method ?? 'GET'} ${request.path}`);
    const started = performance.now();
    const response = await fetch(worker.url + request.path, request.init);
    const body = await response.text();
    const ms = (performance.now() - started).toFixed(1);
    console.log(`status ${response.status} in ${ms} ms`);
    console.log(body.length > 400 ? `${body.slice(0, 400)}...` : body);
    if (response.status !== request.expected) {
      failures++;
      console.log(`UNEXPECTED: wanted status ${request.expected}`);
    }
  }
} finally {
  step('Shutting down');
  await worker.dispose();
  service.kill('SIGTERM');
  await once(service, 'exit');
  await proxy.close();
  await valkey?.dispose();
}

console.log(
  failures === 0
    ? '\nDemo finished: every response was as expected.'
    : `\nDemo finished with ${failures} unexpected responses.`,
);
process.exit(failures === 0 ? 0 : 1);
