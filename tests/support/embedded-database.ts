import { startEmbeddedPostgres } from '../../internal/db/embedded-postgres.ts';
import { migrateUp } from '../../internal/db/migrate.ts';
import { silentLogger } from '../../internal/platform/logger.ts';

/** A fresh embedded Postgres (PGlite) with the project's migrations applied; closed again if migrating fails. */
export async function startMigratedEmbeddedPostgres(): Promise<Awaited<ReturnType<typeof startEmbeddedPostgres>>> {
  const embedded = await startEmbeddedPostgres();
  try {
    await migrateUp(embedded.url, silentLogger);
  } catch (error) {
    await embedded.close();
    throw error;
  }
  return embedded;
}
