import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { tagDependency } from '../platform/dependency-errors.ts';
import type { Logger } from '../platform/logger.ts';
import type { Database } from './schema.ts';

export interface DatabaseOptions {
  /** Pool size. 10 suits one process on a small machine; Postgres' default max_connections is 100. */
  maxConnections?: number;
  /** Server-side cap on one statement, so a runaway query cannot pin a connection forever. */
  statementTimeoutMs?: number;
  /**
   * How long getting a connection may take — connecting, or waiting for a free one — before the call fails with an
   * outage error (503 at the API). Default 10 s; the services take `DATABASE_CONNECT_TIMEOUT_MS` (5 s).
   */
  connectTimeoutMs?: number;
  /** Shown in `pg_stat_activity`, which makes "who holds this lock" questions answerable. */
  applicationName?: string;
  /** Where errors of idle pooled connections go (without a listener `pg` would crash the process). */
  logger?: Logger;
}

export interface DatabaseHandle {
  db: Kysely<Database>;
  /** The underlying pool, for things Kysely does not model (LISTEN/NOTIFY). */
  pool: pg.Pool;
  /** Ends the pool after in-flight queries finish. Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Opens a pooled connection to Postgres at `url` and wraps it in a typed Kysely instance.
 *
 * Only a URL and the wire protocol are assumed, so the same code serves the real server and an embedded PGlite
 * served over the wire protocol. Nothing here depends on session state across queries: a transaction's queries
 * all run on the transaction's own connection (PGlite serialises sessions, so crossing connections would deadlock).
 */
export function createDatabase(url: string, options: DatabaseOptions = {}): DatabaseHandle {
  const statementTimeoutMs = options.statementTimeoutMs ?? 15_000;
  const pool = new pg.Pool({
    connectionString: url,
    max: options.maxConnections ?? 10,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
    statement_timeout: statementTimeoutMs,
    // Client side: a server that stopped answering (network cut) cannot enforce statement_timeout itself.
    query_timeout: statementTimeoutMs + 5_000,
    application_name: options.applicationName ?? 'deliverygo',
  });
  pool.on('error', (error) => {
    options.logger?.warn({ err: error }, 'idle Postgres connection failed; the pool will open a new one');
  });
  // pg-pool only listens for errors on idle clients. A checked-out client whose server connection dies between
  // queries (e.g. while a transaction awaits the bus) would emit an unhandled 'error' and crash the process;
  // with this listener its next query fails instead, and the pool discards it on release.
  pool.on('connect', (client) => {
    client.on('error', (error) => {
      options.logger?.warn({ err: error }, 'Postgres connection failed while in use');
    });
  });
  // Kysely gets connections through this: a failure to get one (refused, timed out, server shutting down) is a
  // Postgres outage whatever the error looks like — tagged so the API answers 503, not 500.
  const connecting = {
    connect: () => pool.connect().catch((error: unknown) => Promise.reject(tagDependency(error, 'postgres'))),
    end: () => pool.end(),
  };
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: connecting }) });
  let closing: Promise<void> | undefined;
  return {
    db,
    pool,
    close: () => (closing ??= db.destroy()),
  };
}
