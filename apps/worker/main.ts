/** `npm run worker`: background processing. Reads the environment once, composes, runs until SIGINT/SIGTERM. */
import { ConfigError, loadConfig } from '../../internal/config/config.ts';
import { runUntilSignal } from '../../internal/platform/lifecycle.ts';
import { createLogger } from '../../internal/platform/logger.ts';
import { composeWorker } from './worker.ts';

let config;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(2);
}
const logger = createLogger(config.logLevel, 'worker');
let worker: Awaited<ReturnType<typeof composeWorker>> | undefined;
try {
  worker = await composeWorker(config, logger);
  await worker.start();
} catch (error) {
  logger.fatal({ err: error }, 'worker failed to start');
  await worker?.cleanup().catch(() => {});
  process.exit(1);
}
void runUntilSignal(worker.cleanup, logger);
