// The baseline of the proxy benchmark: a bare node:http server that runs the single command of a
// JSON body over one node-redis connection and answers {"result": ...}, with nothing else (no
// auth, policy, encoding or logs). Usage: bare-server.ts <valkey-url> <port>; prints "listening".
import { createServer } from 'node:http';
import { createClient } from '@redis/client';

const [valkeyUrl, port] = process.argv.slice(2);
const client = createClient({ url: valkeyUrl, RESP: 2 });
await client.connect();

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const command = JSON.parse(Buffer.concat(chunks).toString()) as string[];
    client.sendCommand(command).then(
      (result) => reply(200, { result }),
      (error: Error) => reply(400, { error: error.message }),
    );
  });
  function reply(status: number, payload: unknown) {
    const body = JSON.stringify(payload);
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  }
});
server.listen(Number(port), '127.0.0.1', () => process.stdout.write('listening\n'));
process.once('SIGTERM', () => {
  server.close();
  client.destroy();
});
