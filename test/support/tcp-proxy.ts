/**
 * A TCP proxy in front of a server (e.g. the shared test Postgres) that a test can cut and restore,
 * to make a dependency unreachable for one app without stopping it for everyone: `cut()` closes the
 * listener (new connections are refused) and destroys every open connection; `restore()` listens
 * again on the same port.
 */
import { createServer, type Server, type Socket, connect } from 'node:net';

/** A running proxy. */
export interface TcpProxy {
  port: number;
  /** Refuse new connections and drop the open ones (resolves once the port is closed). */
  cut(): Promise<void>;
  /** Accept connections again on the same port. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

/** Proxies `127.0.0.1:<port>` (a free port) to `target`. */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const newServer = (): Server =>
    createServer((client) => {
      const upstream = connect(target.port, target.host);
      track(client);
      track(upstream);
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
  let server: Server | undefined = newServer();
  const listen = (s: Server, port: number): Promise<number> =>
    new Promise((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        const address = s.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  const port = await listen(server, 0);
  const cut = async (): Promise<void> => {
    const s = server;
    server = undefined;
    if (!s) return;
    const closed = new Promise<void>((resolve) => s.close(() => resolve()));
    for (const socket of sockets) socket.destroy();
    await closed;
  };
  return {
    port,
    cut,
    async restore() {
      if (server) return;
      server = newServer();
      await listen(server, port);
    },
    close: cut,
  };
}
