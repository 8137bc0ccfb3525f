/**
 * The ingest benchmark's ceiling: the API's own ingest lane (apps/api/ingest-lane.ts — the request limit, bearer
 * authentication through the cached resolver, the body, depth and storable-text checks, the zod schemas, the error
 * bodies, the request metric and the 202's JSON) in a process of its own, in front of a telemetry service that
 * answers at once: no known-riders check, no Redis, no Kafka, no live feed. What the API would do per ping if
 * everything behind the lane cost nothing, so the API's rate can never exceed it; measured beside the bare server and
 * the API in the same run (bench/telemetry.bench.ts), it splits the API's distance from the bare server into the
 * lane's share and the ping's own work.
 *
 * Run: `OPERATOR_KEY=<key> node --import tsx bench/lane-ceiling-server.ts` — the one bearer token it accepts (as an
 * operator key); listens on a free port of 127.0.0.1, prints `LISTENING <port>` on stdout; SIGTERM stops it.
 */
import { createServer } from 'node:http';
import { Registry } from 'prom-client';
import { withIngestLane } from '../apps/api/ingest-lane.ts';
import { OPERATOR } from '../internal/auth/principal.ts';
import { createPrincipalResolver } from '../internal/auth/principal-resolver.ts';
import { silentLogger } from '../internal/platform/logger.ts';
import type { TelemetryService } from '../internal/telemetry/telemetry-service.ts';
import { serveForBenchmark } from './side-server.ts';

const operatorKey = process.env.OPERATOR_KEY;
if (!operatorKey) throw new Error('OPERATOR_KEY: the bearer token to accept is required');

const nothingBehind = (): never => {
  throw new Error('the lane ceiling serves pings only');
};
/** Every ping accepted at once: the service's answer without the service's work. */
const telemetry: TelemetryService = {
  ingest: () => Promise.resolve({ applied: true }),
  ingestMany: (pings) =>
    Promise.resolve({ accepted: pings.length, ignored: 0, unknownRider: 0, results: pings.map(() => 'accepted') }),
  current: nothingBehind,
  route: nothingBehind,
  nearby: nothingBehind,
};

const server = createServer(
  withIngestLane(
    {
      telemetry,
      logger: silentLogger,
      metrics: new Registry(),
      // The API's resolver; its lookup (Postgres there) is reached once per TTL, so any lookup measures the same.
      auth: createPrincipalResolver({ lookup: (token) => Promise.resolve(token === operatorKey ? OPERATOR : null) }),
      // No request limits: the API's is one Redis round trip per bulk post (a single ping has none).
    },
    (_req, res) => {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not a ping"}');
    },
  ),
);
serveForBenchmark(server);
