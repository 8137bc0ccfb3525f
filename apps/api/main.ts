/**
 * `npm run api`: the HTTP API. Reads the environment once, composes, listens, and shuts down cleanly on a signal.
 * With API_WORKERS > 1 this process is a node:cluster primary and each forked worker does the above (cluster.ts).
 */
import cluster from 'node:cluster';
import { exitUnlessListenable } from '../../internal/app/listen-address.ts';
import { loadConfigOrExit, serveUntilSignal, startProcessTracing } from '../../internal/app/run-service.ts';
import { createLogger } from '../../internal/platform/logger.ts';
import { runClusterPrimary, servesApi } from './cluster.ts';

const config = loadConfigOrExit();
// A taken port is reported now, in one line, not after the database and the bus have started.
if (cluster.isPrimary) await exitUnlessListenable(config.http, 'npm run api');
const logger = createLogger(config.logLevel, 'api');
if (servesApi(config.apiWorkers)) {
  const { composeApi } = await import('./compose.ts'); // loaded after the port check: the HTTP stack, PGlite, Kafka…
  // Before composing: the app installs its HTTP spans only when tracing is on (app.ts).
  const tracing = await startProcessTracing(config, 'deliverygo-api', logger);
  await serveUntilSignal('api', logger, () => composeApi(config, logger), tracing);
} else {
  await runClusterPrimary(config.apiWorkers, logger);
}
