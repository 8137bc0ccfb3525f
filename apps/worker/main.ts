/** `npm run worker`: background processing. Reads the environment once, composes, runs until SIGINT/SIGTERM. */
import { loadConfigOrExit, serveUntilSignal } from '../../internal/app/run-service.ts';
import { createLogger } from '../../internal/platform/logger.ts';
import { composeWorker } from './worker.ts';

const config = loadConfigOrExit();
const logger = createLogger(config.logLevel, 'worker');
await serveUntilSignal('worker', logger, () => composeWorker(config, logger));
