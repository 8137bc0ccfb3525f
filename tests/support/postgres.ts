/**
 * PostgreSQL for integration tests: every suite gets its own, freshly created database on the server that
 * `npm run infra:up` provides, so suites can run in parallel and leave nothing behind.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** Used when TEST_DATABASE_URL is unset: the machine's server, database `test`, superuser `postgres`, trust auth. */
export const DEFAULT_TEST_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/test';

/**
 * The URL of the server's `test` database (env TEST_DATABASE_URL). Test databases are created and dropped through
 * this connection, so its role needs CREATEDB (the default `postgres` role is a superuser).
 */
export function testDatabaseUrl(): string {
  // Test-only setting: tests/support is allowed to read the environment (see CONTRIBUTING.md).
  return process.env.TEST_DATABASE_URL || DEFAULT_TEST_DATABASE_URL;
}

export interface TestDatabase {
  /** The database's name (`<prefix>_<random>`). */
  name: string;
  /** Connection URL of the new database: same server and credentials as {@link testDatabaseUrl}. */
  url: string;
  /** Terminates every connection to the database and drops it. Safe to call more than once. */
  drop(): Promise<void>;
}

export interface TestDatabaseOptions {
  /**
   * Runs against the new database before it is handed out, e.g. the project's migrations once they exist:
   * `createTestDatabase('orders', { migrate: runMigrations })`. If it throws, the database is dropped again.
   */
  migrate?: (url: string) => Promise<void>;
}

/**
 * Creates a fresh, empty database named `<prefix>_<random>` and returns its URL and a `drop()`.
 *
 * @example
 *   const db = await createTestDatabase('dispatch');
 *   afterAll(() => db.drop());
 */
export async function createTestDatabase(prefix: string, options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const name = testDatabaseName(prefix);
  const adminUrl = testDatabaseUrl();
  // Identifiers cannot be bound as parameters; `name` is built only from [a-z0-9_] above, so quoting suffices.
  await withAdminClient(adminUrl, (client) => client.query(`CREATE DATABASE ${quoteIdent(name)}`));

  let dropped = false;
  const drop = async (): Promise<void> => {
    if (dropped) return;
    // WITH (FORCE) terminates the connections still open on it (pools a test forgot to end) instead of failing.
    await withAdminClient(adminUrl, (client) =>
      client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`),
    );
    dropped = true;
  };

  const url = withDatabase(adminUrl, name);
  if (options.migrate) {
    try {
      await options.migrate(url);
    } catch (error) {
      await drop();
      throw error;
    }
  }
  return { name, url, drop };
}

/** `<prefix>_<12 hex chars>`, lower-case, within PostgreSQL's 63-byte identifier limit. */
function testDatabaseName(prefix: string): string {
  const clean = prefix
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .slice(0, 40);
  return `${clean || 'test'}_${randomBytes(6).toString('hex')}`;
}

function quoteIdent(identifier: string): string {
  return `"${identifier.replace(/"/g, '""')}"`;
}

/** The same server URL pointing at another database. */
function withDatabase(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  return url.toString();
}

async function withAdminClient<T>(url: string, run: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}
