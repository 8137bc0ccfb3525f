import { join } from 'node:path';
import { runner } from 'node-pg-migrate';
import type { Logger } from '../platform/logger.ts';
import { PROJECT_ROOT } from '../platform/project-root.ts';

/** `migrations/` at the repository root, independent of the process's working directory (and of running from dist/). */
export const MIGRATIONS_DIR = join(PROJECT_ROOT, 'migrations');

/** node-pg-migrate's bookkeeping table. */
export const MIGRATIONS_TABLE = 'pgmigrations';

/**
 * Applies every pending SQL migration in `migrations/` to the database at `databaseUrl`; returns the names applied.
 *
 * Several processes (api, worker) may start at once against one database. node-pg-migrate takes a session advisory
 * lock around the run, but its default `advisoryLockMode` is `fail` — the loser would throw "Another migration is
 * already running". We ask it to `wait` instead: the second process blocks until the first is done, then finds
 * nothing left to apply. All pending migrations run in one transaction, so a failure leaves the schema unchanged.
 */
export async function migrateUp(databaseUrl: string, logger: Logger): Promise<string[]> {
  const applied = await runner({
    databaseUrl,
    dir: MIGRATIONS_DIR,
    direction: 'up',
    migrationsTable: MIGRATIONS_TABLE,
    singleTransaction: true,
    checkOrder: true,
    advisoryLockMode: 'wait',
    // Its progress chatter ("### MIGRATION … (UP) ###") is debug material; we log one summary line below.
    logger: {
      debug: (msg) => logger.trace({ migrator: true }, msg),
      info: (msg) => logger.debug({ migrator: true }, msg),
      warn: (msg) => logger.warn({ migrator: true }, msg),
      error: (msg) => logger.error({ migrator: true }, msg),
    },
  });
  const names = applied.map((m) => m.name);
  logger.info(
    { applied: names },
    names.length > 0 ? `applied ${names.length} migration(s)` : 'database schema is up to date',
  );
  return names;
}
