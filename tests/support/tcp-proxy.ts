import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { freePort } from './free-port.ts';

/**
 * A loopback TCP proxy in front of a shared server (Postgres, Redis), so a test can make that server "go down" for
 * its own clients only and bring it back — the shared server itself is never touched.
 *  - `cut()`: stops listening and resets every proxied connection: clients see their connection die, then refused.
 *  - `blackhole()`: the server stops answering (a network partition): connections stay open and new ones are
 *    accepted, but nothing is forwarded either way.
 *  - `restore()`: listens again on the same port (after `cut`) or drops the silent connections (after `blackhole`);
 *    new connections reach the server.
 */
export interface TcpProxy {
  readonly port: number;
  /** `url` with its host:port replaced by the proxy's. */
  via(url: string): string;
  cut(): Promise<void>;
  blackhole(): void;
  restore(): Promise<void>;
  close(): Promise<void>;
}

/** Starts a proxy on a free loopback port forwarding to `target`. */
export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const port = await freePort();
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let silent = false;

  const listen = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const s = createServer((client) => {
        if (silent) {
          sockets.add(client);
          client.on('error', () => sockets.delete(client)).on('close', () => sockets.delete(client));
          return; // accepted, never answered
        }
        const upstream = createConnection(target.port, target.host);
        sockets.add(client);
        sockets.add(upstream);
        const drop = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
        client.pipe(upstream);
        upstream.pipe(client);
      });
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve());
      server = s;
    });

  const stop = async (): Promise<void> => {
    const s = server;
    server = undefined;
    for (const socket of sockets) socket.resetAndDestroy();
    sockets.clear();
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  };

  await listen();
  return {
    port,
    via(url) {
      const parsed = new URL(url);
      parsed.hostname = '127.0.0.1';
      parsed.port = String(port);
      return parsed.toString();
    },
    cut: stop,
    blackhole() {
      silent = true;
      for (const socket of sockets) {
        socket.unpipe();
        socket.pause();
      }
    },
    restore: async () => {
      if (silent) {
        silent = false;
        for (const socket of sockets) socket.destroy();
        sockets.clear();
      }
      if (!server) await listen();
    },
    close: stop,
  };
}
