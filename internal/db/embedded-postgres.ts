import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';

export interface EmbeddedPostgres {
  /** A postgres:// URL for `pg`, Kysely and node-pg-migrate — the same code paths as a real server. */
  url: string;
  close(): Promise<void>;
}

/**
 * Starts PGlite (Postgres compiled to WASM, in this process) behind its wire-protocol socket server on 127.0.0.1, so
 * the embedded mode runs the same migrations and queries as a real PostgreSQL.
 *
 * PGlite is one session underneath: while one connection has a transaction open, statements from other connections
 * wait. Code must therefore keep all of a transaction's queries on the transaction's own connection (ours does).
 *
 * @param options.dataDir keep data on disk there; omitted: in memory, gone at exit.
 * @param options.maxConnections must cover every pool that will connect (the socket server's default is 1).
 */
export async function startEmbeddedPostgres(options: { dataDir?: string; maxConnections?: number } = {}): Promise<EmbeddedPostgres> {
  const db = await PGlite.create(options.dataDir ? { dataDir: options.dataDir } : {});
  const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: options.maxConnections ?? 32 });
  await server.start();
  return {
    url: `postgres://postgres@${server.getServerConn()}/postgres`,
    async close() {
      await server.stop();
      await db.close();
    },
  };
}
