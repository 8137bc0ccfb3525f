import type { Server } from 'node:http';

/**
 * Serves a benchmark's comparison server (bench/bare-ingest-server.ts, bench/lane-ceiling-server.ts) the way
 * bench/telemetry.bench.ts starts it: on a free port of 127.0.0.1, announced as `LISTENING <port>` on stdout, stopped
 * by SIGTERM. Node's keep-alive defaults, as the API's server (node:http) has them.
 */
export function serveForBenchmark(server: Server): void {
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    process.stdout.write(`LISTENING ${typeof address === 'object' && address ? address.port : 0}\n`);
  });
  process.once('SIGTERM', () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
