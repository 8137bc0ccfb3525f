/** `npm run api`: the HTTP API. Reads the environment once, composes, listens, and shuts down cleanly on a signal. */
import { ConfigError, loadConfig } from '../../internal/config/config.ts';
import { runUntilSignal } from '../../internal/platform/lifecycle.ts';
import { createLogger } from '../../internal/platform/logger.ts';
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
