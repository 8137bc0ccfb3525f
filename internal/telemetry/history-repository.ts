import { sql, type Kysely } from 'kysely';
import type { Database, RiderLocationsTable, TelemetryDatabase } from '../db/schema.ts';

/** One row of `rider_locations`. */
export interface HistoryRow {
  riderId: string;
  /** ms since the epoch (device time). */
  recordedAt: number;
  lat: number;
  lon: number;
  speed?: number | null;
  heading?: number | null;
  accuracy?: number | null;
}

/** The view of the database with the telemetry table (schema.ts keeps it apart from the dispatch core's `Database`). */
export const telemetryDb = (db: Kysely<Database>): Kysely<TelemetryDatabase> =>
  db.withTables<{ rider_locations: RiderLocationsTable }>();

/**
 * Writes `rows` in ONE statement: `INSERT … SELECT FROM unnest(arrays)` binds seven array parameters whatever the row
 * count (a multi-row VALUES list would bind 7 × rows and hit the 65 535-parameter limit at ~9 000 rows), and Postgres
 * routes each row to its day's partition. ON CONFLICT DO NOTHING makes redelivered pings harmless. Answers the number
 * of rows inserted (duplicates not counted).
 */
export async function insertHistory(db: Kysely<Database>, rows: readonly HistoryRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  const col = <T>(pick: (r: HistoryRow) => T) => rows.map(pick);
  const result = await sql`
    INSERT INTO rider_locations (rider_id, recorded_at, lat, lon, speed, heading, accuracy)
    SELECT * FROM unnest(
      ${col((r) => r.riderId)}::uuid[],
      ${col((r) => new Date(r.recordedAt).toISOString())}::timestamptz[],
      ${col((r) => r.lat)}::float8[],
      ${col((r) => r.lon)}::float8[],
      ${col((r) => r.speed ?? null)}::real[],
      ${col((r) => r.heading ?? null)}::real[],
      ${col((r) => r.accuracy ?? null)}::real[]
    )
    ON CONFLICT DO NOTHING`.execute(db);
  return Number(result.numAffectedRows ?? 0n);
}

export interface RoutePoint {
  recordedAt: Date;
  lat: number;
  lon: number;
  speed: number | null;
  heading: number | null;
  accuracy: number | null;
}

/** The rider's pings with `from ≤ recorded_at < to`, oldest first, at most `limit`. Only the day partitions in range are scanned. */
export async function readRoute(
  db: Kysely<Database>,
  riderId: string,
  from: Date,
  to: Date,
  limit: number,
): Promise<RoutePoint[]> {
  const rows = await telemetryDb(db)
    .selectFrom('rider_locations')
    .select(['recorded_at', 'lat', 'lon', 'speed', 'heading', 'accuracy'])
    .where('rider_id', '=', riderId)
    .where('recorded_at', '>=', from)
    .where('recorded_at', '<', to)
    .orderBy('recorded_at')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    recordedAt: r.recorded_at,
    lat: r.lat,
    lon: r.lon,
    speed: r.speed,
    heading: r.heading,
    accuracy: r.accuracy,
  }));
}

/**
 * Makes sure the daily partitions of `rider_locations` exist from yesterday to `daysAhead` days ahead (UTC), via the
 * idempotent SQL function of migration 0005. Answers how many it created.
 */
export async function ensureHistoryPartitions(db: Kysely<Database>, now: Date, daysAhead = 7): Promise<number> {
  const today = now.toISOString().slice(0, 10);
  const result = await sql<{
    created: number;
  }>`SELECT ensure_rider_location_partitions(${today}::date - 1, ${daysAhead + 2}) AS created`.execute(db);
  return result.rows[0]?.created ?? 0;
}

/** The names of the existing daily partitions, sorted (for tests and ops). */
export async function listHistoryPartitions(db: Kysely<Database>): Promise<string[]> {
  const result = await sql<{ name: string }>`
    SELECT c.relname AS name FROM pg_inherits i
    JOIN pg_class c ON c.oid = i.inhrelid
    JOIN pg_class p ON p.oid = i.inhparent
    WHERE p.relname = 'rider_locations' AND c.relname <> 'rider_locations_default'
    ORDER BY 1`.execute(db);
  return result.rows.map((r) => r.name);
}
