import { PGlite } from '@electric-sql/pglite';
import { PgliteWireServer } from './pglite-wire-server.ts';

export interface EmbeddedPostgres {
  /** A postgres:// URL for `pg`, Kysely and node-pg-migrate — the same code paths as a real server. */
  url: string;
  close(): Promise<void>;
}

/**
 * Starts PGlite (Postgres compiled to WASM, in this process) behind our wire-protocol server on 127.0.0.1, so
 * the embedded mode runs the same migrations and queries as a real PostgreSQL.
 *
 * PGlite is one session underneath: while one connection has a transaction open, statements from other connections
 * wait (see PgliteWireServer). Code must therefore keep all of a transaction's queries on the transaction's own
 * connection (ours does), or it deadlocks.
 *
 * @param options.dataDir keep data on disk there; omitted: in memory, gone at exit.
 */
export async function startEmbeddedPostgres(options: { dataDir?: string } = {}): Promise<EmbeddedPostgres> {
  const db = await PGlite.create(options.dataDir ? { dataDir: options.dataDir } : {});
  const server = new PgliteWireServer(db);
  const port = await server.listen(0);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async close() {
      await server.close();
      await db.close();
    },
  };
}
