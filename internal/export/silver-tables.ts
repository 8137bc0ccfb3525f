import type { TopicName } from '../events/catalog.ts';
import type { BronzeRow } from './bronze.ts';
import type { QuarantinedRow, SilverEvent } from './silver.ts';

/** DuckDB column types the export writes. */
export type ColumnType = 'VARCHAR' | 'DOUBLE' | 'INTEGER' | 'BIGINT' | 'TIMESTAMPTZ' | 'VARCHAR[]';

/** One Parquet column: its name, type and how to read it off a row (JSON-serialisable; null for SQL NULL). */
export interface Column<R> {
  name: string;
  type: ColumnType;
  value: (row: R) => string | number | string[] | null;
}

/** A table of the export: its columns and the instant that files a row under an `event_date` partition. */
export interface TableSpec<R> {
  name: string;
  columns: Column<R>[];
  eventAt: (row: R) => Date;
}

const iso = (at: Date | string | null | undefined): string | null =>
  at === null || at === undefined ? null : new Date(at).toISOString();
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

const bronzeColumns: Column<BronzeRow>[] = [
  { name: 'topic', type: 'VARCHAR', value: (r) => r.topic },
  { name: 'partition', type: 'INTEGER', value: (r) => r.partition },
  { name: 'offset', type: 'BIGINT', value: (r) => Number(r.offset) },
  { name: 'key', type: 'VARCHAR', value: (r) => r.key },
  { name: 'headers', type: 'VARCHAR', value: (r) => JSON.stringify(r.headers) },
  { name: 'value', type: 'VARCHAR', value: (r) => r.value },
  { name: 'value_sha256', type: 'VARCHAR', value: (r) => r.valueSha256 },
  { name: 'event_id', type: 'VARCHAR', value: (r) => r.eventId },
  { name: 'event_type', type: 'VARCHAR', value: (r) => r.eventType },
  { name: 'occurred_at', type: 'TIMESTAMPTZ', value: (r) => iso(r.occurredAt) },
  { name: 'event_at', type: 'TIMESTAMPTZ', value: (r) => iso(r.eventAt) },
  { name: 'consumed_at', type: 'TIMESTAMPTZ', value: (r) => iso(r.consumedAt) },
];

/** `bronze`: the archived messages, raw, as consumed. */
export const bronzeTable: TableSpec<BronzeRow> = { name: 'bronze', columns: bronzeColumns, eventAt: (r) => r.eventAt };

/** `quarantine`: bronze rows that failed parsing, de-duplication or a data-quality check, with the check and why. */
export const quarantineTable: TableSpec<QuarantinedRow> = {
  name: 'quarantine',
  columns: [
    { name: 'stage', type: 'VARCHAR', value: (q) => q.stage },
    { name: 'reason', type: 'VARCHAR', value: (q) => q.reason },
    ...bronzeColumns.map((c) => ({ ...c, value: (q: QuarantinedRow) => c.value(q.source) })),
  ],
  eventAt: (q) => q.source.eventAt,
};

type Payload = Record<string, unknown>;
const common: Column<SilverEvent>[] = [
  { name: 'event_id', type: 'VARCHAR', value: (e) => e.eventId },
  { name: 'occurred_at', type: 'TIMESTAMPTZ', value: (e) => iso(e.occurredAt) },
  { name: 'key', type: 'VARCHAR', value: (e) => e.source.key },
  { name: 'partition', type: 'INTEGER', value: (e) => e.source.partition },
  { name: 'offset', type: 'BIGINT', value: (e) => Number(e.source.offset) },
];
const p = (e: SilverEvent) => e.payload as Payload;
const text = (field: string): Column<SilverEvent> => ({
  name: snake(field),
  type: 'VARCHAR',
  value: (e) => str(p(e)[field]),
});
const time = (field: string): Column<SilverEvent> => ({
  name: snake(field),
  type: 'TIMESTAMPTZ',
  value: (e) => iso(str(p(e)[field])),
});
const num = (field: string): Column<SilverEvent> => ({
  name: snake(field),
  type: 'DOUBLE',
  value: (e) => (typeof p(e)[field] === 'number' ? (p(e)[field] as number) : null),
});
const list = (field: string): Column<SilverEvent> => ({
  name: snake(field),
  type: 'VARCHAR[]',
  value: (e) => (Array.isArray(p(e)[field]) ? (p(e)[field] as string[]) : null),
});
/** The fields a loose schema let through beyond the named ones (live-map extras such as `cancelReason`), as JSON. */
const extras = (named: string[]): Column<SilverEvent> => ({
  name: 'extra',
  type: 'VARCHAR',
  value: (e) => {
    const rest = Object.fromEntries(Object.entries(p(e)).filter(([k]) => !named.includes(k)));
    return Object.keys(rest).length > 0 ? JSON.stringify(rest) : null;
  },
});
function snake(field: string): string {
  return field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** The typed silver table of each archived topic: the envelope's columns, then the payload's fields as columns. */
export const silverTables: Partial<Record<TopicName, TableSpec<SilverEvent>>> = {
  orderPlaced: {
    name: 'order_placed',
    columns: [
      ...common,
      text('orderId'),
      text('storeId'),
      text('cell'),
      { name: 'drop_lat', type: 'DOUBLE', value: (e) => (p(e).drop as { lat: number }).lat },
      { name: 'drop_lon', type: 'DOUBLE', value: (e) => (p(e).drop as { lon: number }).lon },
      time('placedAt'),
      time('readyAt'),
      time('promisedAt'),
    ],
    eventAt: (e) => e.source.eventAt,
  },
  orderReady: {
    name: 'order_ready',
    columns: [...common, text('orderId'), text('storeId'), time('readyMarkedAt')],
    eventAt: (e) => e.source.eventAt,
  },
  pathProvision: {
    name: 'path_provision',
    columns: [...common, text('storeId'), text('cell'), text('orderId')],
    eventAt: (e) => e.source.eventAt,
  },
  pathProvisioned: {
    name: 'path_provisioned',
    columns: [...common, text('pathId'), text('storeId'), text('cell')],
    eventAt: (e) => e.source.eventAt,
  },
  batchesAssigned: {
    name: 'batches_assigned',
    columns: [
      ...common,
      text('batchId'),
      text('storeId'),
      text('pathId'),
      list('orderIds'),
      { name: 'order_count', type: 'INTEGER', value: (e) => (p(e).orderIds as string[]).length },
      time('sealedAt'),
      text('reason'),
      num('estimatedCostS'),
    ],
    eventAt: (e) => e.source.eventAt,
  },
  routesRefined: {
    name: 'routes_refined',
    columns: [
      ...common,
      text('batchId'),
      text('storeId'),
      list('sequence'),
      num('estimatedCostS'),
      num('refinedCostS'),
      { name: 'etas', type: 'VARCHAR', value: (e) => JSON.stringify(p(e).etas) },
      time('readyAt'),
    ],
    eventAt: (e) => e.source.eventAt,
  },
  orderUpdated: {
    name: 'order_updated',
    columns: [
      ...common,
      text('orderId'),
      text('storeId'),
      text('status'),
      text('batchId'),
      text('riderId'),
      time('eta'),
      extras(['orderId', 'storeId', 'status', 'batchId', 'riderId', 'eta']),
    ],
    eventAt: (e) => e.source.eventAt,
  },
  batchUpdated: {
    name: 'batch_updated',
    columns: [
      ...common,
      text('batchId'),
      text('storeId'),
      text('status'),
      text('riderId'),
      list('orderIds'),
      extras(['batchId', 'storeId', 'status', 'riderId', 'orderIds']),
    ],
    eventAt: (e) => e.source.eventAt,
  },
  riderUpdated: {
    name: 'rider_updated',
    columns: [...common, text('riderId'), text('status'), text('batchId'), extras(['riderId', 'status', 'batchId'])],
    eventAt: (e) => e.source.eventAt,
  },
};

/** One quoted drop time of a refined route: `routes.refined`'s `etas` record flattened, for the first-quote error. */
export interface RouteEta {
  event: SilverEvent<'routesRefined'>;
  orderId: string;
  eta: string;
}

/** `route_etas`: one row per (refined route, order) with the ETA quoted for that order's drop. */
export const routeEtasTable: TableSpec<RouteEta> = {
  name: 'route_etas',
  columns: [
    { name: 'event_id', type: 'VARCHAR', value: (r) => r.event.eventId },
    { name: 'occurred_at', type: 'TIMESTAMPTZ', value: (r) => iso(r.event.occurredAt) },
    { name: 'batch_id', type: 'VARCHAR', value: (r) => r.event.payload.batchId },
    { name: 'order_id', type: 'VARCHAR', value: (r) => r.orderId },
    { name: 'eta', type: 'TIMESTAMPTZ', value: (r) => iso(r.eta) },
  ],
  eventAt: (r) => r.event.source.eventAt,
};
