// A TCP proxy in the test process, so a test can make a real server "go away" for the processes under test
// without stopping the shared one: close() drops every connection and stops listening (connections are then
// refused, as from a server that is down); open() listens again on the same port.
import net from 'node:net';
import { freePort } from './redis.js';

export interface TcpProxy {
  port: number;
  /** Stops listening and destroys every proxied connection. */
  close(): Promise<void>;
  /** Listens again on the same port. */
  open(): Promise<void>;
  /** Bytes the target sent through the proxy so far (what a client downloaded). */
  bytesFromTarget(): number;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const port = await freePort();
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  let fromTarget = 0;
  const open = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const s = net.createServer((client) => {
        const upstream = net.connect(target);
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.on('error', () => socket.destroy());
          socket.once('close', () => sockets.delete(socket));
        }
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
        upstream.on('data', (chunk: Buffer) => (fromTarget += chunk.length));
        client.pipe(upstream).pipe(client);
      });
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        server = s;
        resolve();
      });
    });
  await open();
  return {
    port,
    open,
    bytesFromTarget: () => fromTarget,
    close: async () => {
      const s = server;
      server = undefined;
      for (const socket of sockets) socket.destroy();
      if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
  };
}
