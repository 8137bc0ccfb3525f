/**
 * `npm run api`: the HTTP API. Reads the environment once, composes, listens, and shuts down cleanly on a signal.
 * With API_WORKERS > 1 this process is a node:cluster primary and each forked worker does the above (cluster.ts).
 */
import { loadConfigOrExit, serveUntilSignal } from '../../internal/app/run-service.ts';
import { createLogger } from '../../internal/platform/logger.ts';
import { runClusterPrimary, servesApi } from './cluster.ts';
import { composeApi } from './compose.ts';

const config = loadConfigOrExit();
const logger = createLogger(config.logLevel, 'api');
if (servesApi(config.apiWorkers)) await serveUntilSignal('api', logger, () => composeApi(config, logger));
else await runClusterPrimary(config.apiWorkers, logger);
