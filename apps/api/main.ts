/**
 * `npm run api`: the HTTP API. Reads the environment once, composes, listens, and shuts down cleanly on a signal.
 * With API_WORKERS > 1 this process is a node:cluster primary and each forked worker does the above (cluster.ts).
 */
import { ConfigError, loadConfig, type Config } from '../../internal/config/config.ts';
import { runUntilSignal } from '../../internal/platform/lifecycle.ts';
import { createLogger, type Logger } from '../../internal/platform/logger.ts';
import { runClusterPrimary, servesApi } from './cluster.ts';
import { composeApi } from './compose.ts';

let config;
try {
  config = loadConfig();
} catch (error) {
  if (!(error instanceof ConfigError)) throw error;
  process.stderr.write(`${error.message}\n`);
  process.exit(2);
}
const logger = createLogger(config.logLevel, 'api');
if (servesApi(config.apiWorkers)) await serveApi(config, logger);
else await runClusterPrimary(config.apiWorkers, logger);

/** Composes, listens, and runs until a signal (the only process, or one cluster worker). */
async function serveApi(config: Config, logger: Logger): Promise<void> {
  let api: Awaited<ReturnType<typeof composeApi>> | undefined;
  try {
    api = await composeApi(config, logger);
    await api.start();
  } catch (error) {
    logger.fatal({ err: error }, 'api failed to start');
    await api?.cleanup().catch(() => {});
    process.exit(1);
  }
  void runUntilSignal(api.cleanup, logger);
}
