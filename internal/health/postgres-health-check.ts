import { sql, type Kysely } from 'kysely';
import type { HealthCheck } from './health-check.ts';

/**
 * Postgres is up when a trivial query round-trips. Works for the real server and for PGlite behind the wire
 * protocol alike; `adapter` says which one it is.
 */
// biome-ignore lint/suspicious/noExplicitAny: any schema; the check only runs `select 1`
export function postgresHealthCheck(db: Kysely<any>, adapter: 'postgres' | 'pglite' = 'postgres'): HealthCheck {
  return {
    name: 'postgres',
    adapter,
    check: async () => {
      await sql`select 1`.execute(db);
    },
  };
}
