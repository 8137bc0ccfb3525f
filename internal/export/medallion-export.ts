import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/schema.ts';
import { invalidInput } from '../platform/errors.ts';
import { utcDate, type BronzeRow } from './bronze.ts';
import { checkQuality, type ReferenceData } from './quality-checks.ts';
import { isTopic, parseSilver, type QuarantinedRow, type QuarantineStage, type SilverEvent } from './silver.ts';
import {
  bronzeTable,
  quarantineTable,
  routeEtasTable,
  silverTables,
  type RouteEta,
  type TableSpec,
} from './silver-tables.ts';

export interface ExportOptions {
  /** Start of the range, inclusive: a UTC midnight (partitions are whole days). */
  from: Date;
  /** End of the range, exclusive: a UTC midnight after `from`. */
  to: Date;
  /** Root of the output tree (bronze/, silver/, quarantine/, gold/, dq/). */
  outDir: string;
  /** A drop farther than this from its store fails the service-area check. */
  serviceRadiusM: number;
}

/** What one run wrote: rows per table (over the whole range) and the partitions (dates) that had data. */
export interface ExportSummary {
  dates: string[];
  rows: Record<string, number>;
  quarantinedByStage: Partial<Record<QuarantineStage, number>>;
  files: string[];
}

/** Longest range one run exports: the archive of the range is held in memory. */
export const MAX_EXPORT_DAYS = 31;
const DAY_MS = 86_400_000;

/** Checks `from`/`to`: UTC midnights, `from` before `to`, at most `MAX_EXPORT_DAYS` apart (400-style errors naming the field). */
export function validateRange(from: Date, to: Date): void {
  for (const [field, at] of [
    ['from', from],
    ['to', to],
  ] as const) {
    if (Number.isNaN(at.getTime())) throw invalidInput('export.invalid_range', `${field} is not a date`, { field });
    // A partial day would overwrite that day's partition with part of its data.
    if (at.getTime() % DAY_MS !== 0)
      throw invalidInput('export.invalid_range', `${field} must be a UTC midnight (YYYY-MM-DD)`, { field });
  }
  if (to <= from) throw invalidInput('export.invalid_range', 'to must be after from', { field: 'to' });
  if (to.getTime() - from.getTime() > MAX_EXPORT_DAYS * DAY_MS)
    throw invalidInput('export.invalid_range', `at most ${MAX_EXPORT_DAYS} days per run`, { field: 'to' });
}

/**
 * The medallion export of [from, to): reads the archived messages (`event_archive`) of the range, parses and checks
 * them (silver.ts, quality-checks.ts), and writes with DuckDB, per UTC day of the event:
 *
 * - `bronze/event_date=D/part-0.parquet`: the archived rows, raw;
 * - `silver/<table>/event_date=D/part-0.parquet`: one typed table per topic, de-duplicated by event id, checked;
 * - `quarantine/event_date=D/part-0.parquet`: every row that failed, with `stage` and `reason`;
 * - `gold/daily_store/…` and `gold/batch_sizes/…`: daily aggregates per store, computed from silver;
 * - `dq/event_date=D/report.json`: the data-quality report.
 *
 * Idempotent: every partition of the range is removed first, rows are written in one total order, DuckDB runs on one
 * thread, and nothing written depends on when the export ran — a rerun over the same archive writes the same bytes.
 */
export async function runMedallionExport(db: Kysely<Database>, options: ExportOptions): Promise<ExportSummary> {
  validateRange(options.from, options.to);
  const bronze = await readBronze(db, options.from, options.to);
  const parsed = parseSilver(bronze);
  const refs = await readReferences(db, parsed.events);
  const checked = checkQuality(parsed.events, refs, { serviceRadiusM: options.serviceRadiusM });
  const quarantined = [...parsed.quarantined, ...checked.quarantined];

  const dates: string[] = [];
  for (let t = options.from.getTime(); t < options.to.getTime(); t += DAY_MS) dates.push(utcDate(new Date(t)));
  const layers = ['bronze', 'quarantine', 'dq', 'gold/daily_store', 'gold/batch_sizes'];
  for (const spec of Object.values(silverTables)) layers.push(`silver/${spec.name}`);
  layers.push(`silver/${routeEtasTable.name}`);
  for (const layer of layers)
    for (const date of dates)
      await rm(join(options.outDir, layer, `event_date=${date}`), { recursive: true, force: true });

  const scratch = await mkdtemp(join(tmpdir(), 'deliverygo-export-'));
  const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
  const duck = await instance.connect();
  const summary: ExportSummary = { dates: [], rows: {}, quarantinedByStage: {}, files: [] };
  try {
    await duck.run("SET TimeZone = 'UTC'");
    const loader = new TableLoader(duck, scratch);
    await loader.load(bronzeTable, bronze);
    await loader.load(quarantineTable, quarantined);
    for (const [topic, spec] of Object.entries(silverTables))
      await loader.load(
        spec,
        checked.events.filter((e) => e.topic === topic),
      );
    const etas: RouteEta[] = checked.events
      .filter((e): e is SilverEvent<'routesRefined'> => isTopic(e, 'routesRefined'))
      .flatMap((event) => Object.entries(event.payload.etas).map(([orderId, eta]) => ({ event, orderId, eta })));
    await loader.load(routeEtasTable, etas);
    await buildGold(duck);

    const write = async (table: string, layer: string, date: string) => {
      const count = await scalar(duck, `SELECT count(*) FROM ${table} WHERE event_date = '${date}'`);
      if (count === 0) return 0;
      const dir = join(options.outDir, layer, `event_date=${date}`);
      await mkdir(dir, { recursive: true });
      const file = join(dir, 'part-0.parquet');
      await duck.run(
        `COPY (SELECT * EXCLUDE (event_date, row_no) FROM ${table} WHERE event_date = '${date}' ORDER BY row_no) ` +
          `TO '${file.replaceAll("'", "''")}' (FORMAT parquet, COMPRESSION zstd)`,
      );
      summary.files.push(file);
      summary.rows[layer] = (summary.rows[layer] ?? 0) + count;
      return count;
    };
    for (const date of dates) {
      const bronzeRows = await write('bronze', 'bronze', date);
      if (bronzeRows === 0) continue;
      summary.dates.push(date);
      await write('quarantine', 'quarantine', date);
      for (const spec of [...Object.values(silverTables), routeEtasTable])
        await write(spec.name, `silver/${spec.name}`, date);
      await write('gold_daily_store', 'gold/daily_store', date);
      await write('gold_batch_sizes', 'gold/batch_sizes', date);
      const file = join(options.outDir, 'dq', `event_date=${date}`, 'report.json');
      await mkdir(join(file, '..'), { recursive: true });
      await writeFile(
        file,
        `${JSON.stringify(dqReport(date, bronze, parsed.duplicates, quarantined, checked), null, 2)}\n`,
      );
      summary.files.push(file);
    }
    for (const q of quarantined) summary.quarantinedByStage[q.stage] = (summary.quarantinedByStage[q.stage] ?? 0) + 1;
    return summary;
  } finally {
    duck.closeSync();
    instance.closeSync();
    await rm(scratch, { recursive: true, force: true });
  }
}

/** The archived rows of [from, to), in the export's order. */
async function readBronze(db: Kysely<Database>, from: Date, to: Date): Promise<BronzeRow[]> {
  const rows = await db
    .selectFrom('event_archive')
    .selectAll()
    .where('event_at', '>=', from)
    .where('event_at', '<', to)
    .orderBy('event_at')
    .orderBy('topic')
    .orderBy('partition')
    .orderBy(sql`"offset"::numeric`)
    .orderBy('value_sha256')
    .execute();
  return rows.map((r) => ({
    topic: r.topic,
    partition: r.partition,
    offset: r.offset,
    key: r.key,
    headers: r.headers,
    value: r.value,
    valueSha256: r.value_sha256,
    eventId: r.event_id,
    eventType: r.event_type,
    occurredAt: r.occurred_at,
    eventAt: r.event_at,
    consumedAt: r.consumed_at,
  }));
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The orders, batches, riders, stores and paths the events name that exist in Postgres. */
async function readReferences(db: Kysely<Database>, events: readonly SilverEvent[]): Promise<ReferenceData> {
  const ids = {
    orders: new Set<string>(),
    batches: new Set<string>(),
    riders: new Set<string>(),
    stores: new Set<string>(),
    paths: new Set<string>(),
  };
  for (const e of events) {
    const p = e.payload as Record<string, unknown>;
    const add = (set: Set<string>, v: unknown) => typeof v === 'string' && set.add(v);
    add(ids.orders, p.orderId);
    if (Array.isArray(p.orderIds)) for (const id of p.orderIds) add(ids.orders, id);
    add(ids.batches, p.batchId);
    add(ids.riders, p.riderId);
    add(ids.stores, p.storeId);
    add(ids.paths, p.pathId);
  }
  // uuid columns: an id that is not a uuid cannot exist (and would make the query fail).
  const uuids = (set: Set<string>) => [...set].filter((id) => UUID.test(id));
  const existing = async (table: 'orders' | 'batches' | 'riders', set: Set<string>) => {
    const list = uuids(set);
    if (list.length === 0) return new Set<string>();
    const rows = await db.selectFrom(table).select('id').where(sql<boolean>`id = any(${list}::uuid[])`).execute();
    return new Set(rows.map((r) => r.id));
  };
  const storeList = uuids(ids.stores);
  const stores =
    storeList.length === 0
      ? []
      : await db
          .selectFrom('stores')
          .select(['id', 'lat', 'lon'])
          .where(sql<boolean>`id = any(${storeList}::uuid[])`)
          .execute();
  const pathList = [...ids.paths];
  const paths =
    pathList.length === 0
      ? []
      : await db.selectFrom('path_templates').select('id').where(sql<boolean>`id = any(${pathList}::text[])`).execute();
  return {
    orders: await existing('orders', ids.orders),
    batches: await existing('batches', ids.batches),
    riders: await existing('riders', ids.riders),
    stores: new Map(stores.map((s) => [s.id, { lat: Number(s.lat), lon: Number(s.lon) }])),
    paths: new Set(paths.map((r) => r.id)),
  };
}

/** Loads rows into a DuckDB table through a newline-delimited JSON file, with `event_date` and `row_no` beside. */
class TableLoader {
  constructor(
    private readonly duck: DuckDBConnection,
    private readonly scratch: string,
  ) {}

  async load<R>(spec: TableSpec<R>, rows: readonly R[]): Promise<void> {
    const columns = [
      ...spec.columns.map((c) => [c.name, c.type] as const),
      ['event_date', 'DATE'] as const,
      ['row_no', 'BIGINT'] as const,
    ];
    await this.duck.run(`CREATE TABLE ${spec.name} (${columns.map(([n, t]) => `"${n}" ${t}`).join(', ')})`);
    if (rows.length === 0) return;
    const file = join(this.scratch, `${spec.name}.ndjson`);
    const lines = rows.map((row, i) => {
      const o: Record<string, unknown> = {};
      for (const c of spec.columns) o[c.name] = c.value(row);
      o.event_date = utcDate(spec.eventAt(row));
      o.row_no = i;
      return JSON.stringify(o);
    });
    await writeFile(file, `${lines.join('\n')}\n`);
    const types = columns.map(([n, t]) => `"${n}": '${t}'`).join(', ');
    await this.duck.run(
      `INSERT INTO ${spec.name} SELECT * FROM read_json('${file.replaceAll("'", "''")}', format = 'newline_delimited', columns = {${types}})`,
    );
  }
}

/**
 * Gold, from silver only: per store and UTC day of placement, the figures of `GET /analytics/fulfilment`,
 * `/click-to-door` and `/eta-accuracy` (promise and first quote), and per store and day of sealing those of
 * `/batch-sizes` with the size distribution. An order's delivery or cancellation counts when its event is in the range.
 */
async function buildGold(duck: DuckDBConnection): Promise<void> {
  await duck.run(`
    CREATE TABLE gold_orders AS
    WITH delivered AS (SELECT order_id, min(occurred_at) AS delivered_at FROM order_updated WHERE status = 'delivered' GROUP BY order_id),
      cancelled AS (SELECT DISTINCT order_id FROM order_updated WHERE status = 'cancelled'),
      first_quote AS (SELECT order_id, arg_min(eta, occurred_at) AS first_eta_at FROM route_etas GROUP BY order_id)
    SELECT p.order_id, p.store_id, p.placed_at, p.promised_at, CAST(p.placed_at AS DATE) AS event_date,
      d.delivered_at, c.order_id IS NOT NULL AS cancelled, q.first_eta_at,
      epoch(d.delivered_at - p.placed_at) AS click_to_door_s,
      epoch(d.delivered_at - p.promised_at) AS promise_error_s,
      epoch(d.delivered_at - q.first_eta_at) AS first_quote_error_s
    FROM order_placed p LEFT JOIN delivered d USING (order_id) LEFT JOIN cancelled c USING (order_id)
      LEFT JOIN first_quote q USING (order_id)`);
  await duck.run(`
    CREATE TABLE gold_batches AS
    SELECT batch_id, arg_min(store_id, occurred_at) AS store_id, CAST(min(sealed_at) AS DATE) AS event_date,
      arg_max(order_count, occurred_at) AS size
    FROM batches_assigned GROUP BY batch_id`);
  await duck.run(`
    CREATE TABLE gold_daily_store AS
    WITH o AS (
      SELECT event_date, store_id,
        count(*)::INTEGER AS orders_placed,
        count(delivered_at)::INTEGER AS orders_delivered,
        (count(*) FILTER (WHERE cancelled))::INTEGER AS orders_cancelled,
        (count(*) - count(delivered_at) - count(*) FILTER (WHERE cancelled))::INTEGER AS orders_in_progress,
        count(delivered_at)::DOUBLE / count(*) AS fulfilment_rate,
        (count(*) FILTER (WHERE cancelled))::DOUBLE / count(*) AS cancellation_rate,
        quantile_cont(click_to_door_s, 0.5) AS click_to_door_p50_s,
        quantile_cont(click_to_door_s, 0.9) AS click_to_door_p90_s,
        avg(promise_error_s) AS promise_mean_error_s,
        quantile_cont(abs(promise_error_s), 0.9) AS promise_p90_abs_error_s,
        avg(CASE WHEN promise_error_s > 0 THEN 1.0 WHEN promise_error_s IS NOT NULL THEN 0.0 END) AS promise_share_late,
        avg(first_quote_error_s) AS first_quote_mean_error_s,
        quantile_cont(abs(first_quote_error_s), 0.9) AS first_quote_p90_abs_error_s,
        avg(CASE WHEN first_quote_error_s > 0 THEN 1.0 WHEN first_quote_error_s IS NOT NULL THEN 0.0 END) AS first_quote_share_late
      FROM gold_orders GROUP BY event_date, store_id),
    b AS (
      SELECT event_date, store_id, count(*)::INTEGER AS batches, sum(size)::INTEGER AS batched_orders,
        avg(size) AS batch_size_mean, quantile_cont(size, 0.5) AS batch_size_p50, quantile_cont(size, 0.9) AS batch_size_p90,
        max(size)::INTEGER AS batch_size_max
      FROM gold_batches GROUP BY event_date, store_id)
    SELECT event_date, store_id,
      coalesce(o.orders_placed, 0) AS orders_placed, coalesce(o.orders_delivered, 0) AS orders_delivered,
      coalesce(o.orders_cancelled, 0) AS orders_cancelled, coalesce(o.orders_in_progress, 0) AS orders_in_progress,
      o.fulfilment_rate, o.cancellation_rate, o.click_to_door_p50_s, o.click_to_door_p90_s,
      o.promise_mean_error_s, o.promise_p90_abs_error_s, o.promise_share_late,
      o.first_quote_mean_error_s, o.first_quote_p90_abs_error_s, o.first_quote_share_late,
      coalesce(b.batches, 0) AS batches, coalesce(b.batched_orders, 0) AS batched_orders,
      b.batch_size_mean, b.batch_size_p50, b.batch_size_p90, b.batch_size_max,
      row_number() OVER (ORDER BY event_date, store_id) AS row_no
    FROM o FULL OUTER JOIN b USING (event_date, store_id)`);
  await duck.run(`
    CREATE TABLE gold_batch_sizes AS
    SELECT event_date, store_id, size::INTEGER AS size, count(*)::INTEGER AS batches,
      row_number() OVER (ORDER BY event_date, store_id, size) AS row_no
    FROM gold_batches GROUP BY event_date, store_id, size`);
}

async function scalar(duck: DuckDBConnection, query: string): Promise<number> {
  const reader = await duck.runAndReadAll(query);
  return Number(reader.getRows()[0]?.[0] ?? 0);
}

/** The data-quality report of one day: what came in, what passed, what each check quarantined, with examples. */
function dqReport(
  date: string,
  bronze: readonly BronzeRow[],
  duplicates: readonly BronzeRow[],
  quarantined: readonly QuarantinedRow[],
  checked: ReturnType<typeof checkQuality>,
) {
  const ofDay = (at: Date) => utcDate(at) === date;
  const bad = quarantined.filter((q) => ofDay(q.source.eventAt));
  const stages: QuarantineStage[] = ['schema', 'duplicate', 'nulls', 'ranges', 'orphans', 'service_area', 'lifecycle'];
  const checks = Object.fromEntries(
    stages.map((stage) => {
      const failures = bad.filter((q) => q.stage === stage);
      return [
        stage,
        {
          passed: failures.length === 0,
          failed: failures.length,
          examples: failures.slice(0, 5).map((q) => ({
            topic: q.source.topic,
            partition: q.source.partition,
            offset: q.source.offset,
            event_id: q.source.eventId,
            reason: q.reason,
          })),
        },
      ];
    }),
  );
  const silver: Record<string, number> = {};
  for (const e of checked.events)
    if (ofDay(e.source.eventAt)) silver[e.source.topic] = (silver[e.source.topic] ?? 0) + 1;
  return {
    event_date: date,
    bronze_rows: bronze.filter((r) => ofDay(r.eventAt)).length,
    silver_events: Object.fromEntries(Object.entries(silver).sort(([a], [b]) => (a < b ? -1 : 1))),
    // A byte-identical repeat of an event (a republish): collapsed into the one silver row, not an error.
    duplicates_collapsed: duplicates.filter((r) => ofDay(r.eventAt)).length,
    quarantined: bad.length,
    checks,
    // Allowed, reported: pickups before the store marked the order ready (analytics counts 0 s ready-to-pickup).
    notes: {
      picked_up_before_marked_ready: checked.notes.readyAfterPickup.filter((e) => ofDay(e.source.eventAt)).length,
    },
  };
}
