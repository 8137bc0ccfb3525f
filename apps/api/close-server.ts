import type { Server } from 'node:http';
import type { ServerType } from '@hono/node-server';

/**
 * Stops accepting connections and waits for the requests in flight to finish; connections still open after
 * `graceMs` are cut. Idle keep-alive connections are closed as soon as they are idle — they would otherwise hold
 * `close()` open until the client hangs up.
 */
export async function closeServer(server: ServerType | undefined, graceMs = 10_000): Promise<void> {
  if (!server?.listening) return;
  const http = server as Server;
  const closed = new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
  // A keep-alive connection whose request finishes after close() stays open, idle, until the client's keep-alive
  // timer fires (seconds). Sweep idle connections until the last one is gone.
  http.closeIdleConnections?.();
  const sweep = setInterval(() => http.closeIdleConnections?.(), 50);
  const timer = setTimeout(() => http.closeAllConnections?.(), graceMs);
  try {
    await closed;
  } finally {
    clearInterval(sweep);
    clearTimeout(timer);
  }
}
