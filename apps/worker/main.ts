/** `npm run worker`: background processing. Reads the environment once, composes, runs until SIGINT/SIGTERM. */
import { exitUnlessListenable } from '../../internal/app/listen-address.ts';
import { loadConfigOrExit, serveUntilSignal, startProcessTracing } from '../../internal/app/run-service.ts';
import { createLogger } from '../../internal/platform/logger.ts';

const config = loadConfigOrExit();
// A taken metrics port is reported now, in one line, before the database and the bus start.
if (config.workerMetricsPort !== undefined) {
  await exitUnlessListenable(
    { host: config.http.host, port: config.workerMetricsPort },
    'npm run worker',
    'WORKER_METRICS_PORT',
  );
}
const logger = createLogger(config.logLevel, 'worker');
const { composeWorker } = await import('./worker.ts'); // loaded after the checks: PGlite, Kafka, the dispatch core…
const tracing = await startProcessTracing(config, 'deliverygo-worker', logger);
await serveUntilSignal('worker', logger, () => composeWorker(config, logger), tracing);
