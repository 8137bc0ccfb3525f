/**
 * `npm run migrate`: applies pending migrations to the configured Postgres and exits.
 * The apps also migrate at start, so this is for operators who want the schema in place before deploying.
 */
import { loadCliConfig } from '../config/config.ts';
import { createLogger } from '../platform/logger.ts';
import { migrateUp } from './migrate.ts';

async function main(): Promise<number> {
  const config = loadCliConfig((text) => process.stderr.write(text));
  if (!config) return 2;
  const logger = createLogger(config.logLevel, 'migrate');
  if (config.databaseUrl === undefined) {
    logger.info(
      'DATABASE_URL / POSTGRES_DSN is not set: nothing to migrate — the embedded database migrates itself at start',
    );
    return 0;
  }
  try {
    await migrateUp(config.databaseUrl, logger);
    return 0;
  } catch (error) {
    logger.error({ err: error }, 'migration failed');
    return 1;
  }
}

process.exitCode = await main();
