import { ConfigError, type Config } from '../config/config.ts';
import type { Logger } from '../platform/logger.ts';
import { createDatabase, type DatabaseHandle } from './database.ts';
import { migrateUp } from './migrate.ts';

export interface OpenedDatabase extends DatabaseHandle {
  /** Which server is behind the URL, for `/health`. */
  adapter: 'postgres' | 'pglite';
}

/**
 * The database a composition root uses: migrated to the latest schema, then pooled. Migrations run first so that no
 * query ever meets an old schema; concurrent starts are safe (see `migrateUp`).
 */
export async function openDatabase(config: Config, logger: Logger, applicationName: string): Promise<OpenedDatabase> {
  if (config.databaseUrl === undefined) {
    throw new ConfigError(
      'DATABASE_URL (or POSTGRES_DSN) is not set. The embedded database arrives with the embedded mode; until then set DATABASE_URL, e.g. postgres://postgres@127.0.0.1:5432/deliverygo',
    );
  }
  await migrateUp(config.databaseUrl, logger);
  const handle = createDatabase(config.databaseUrl, {
    applicationName,
    logger,
    connectTimeoutMs: config.databaseConnectTimeoutMs,
  });
  return { ...handle, adapter: 'postgres' };
}
