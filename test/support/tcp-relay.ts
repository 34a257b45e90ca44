// A TCP relay on 127.0.0.1 in front of a server (Valkey or the proxy). Tests destroy the relayed
// sockets to break a client's connections in the middle of a call.
import { connect, createServer, type Socket } from 'node:net';

export interface TcpRelay {
  port: number;
  /** Destroys every open connection, both sides, as a network failure would. */
  destroyAll(): void;
  close(): Promise<void>;
}

export async function startRelay(targetPort: number): Promise<TcpRelay> {
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = connect(targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const destroyAll = () => {
    for (const socket of sockets) socket.destroy();
  };
  return {
    port,
    destroyAll,
    close: () =>
      new Promise<void>((resolve) => {
        destroyAll();
        server.close(() => resolve());
      }),
  };
}
