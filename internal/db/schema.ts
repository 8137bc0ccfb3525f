import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';
import type { Event, Headers } from '../eventbus/event-bus.ts';

/**
 * Kysely's view of the tables the migrations in `migrations/` create. Keep each interface next to its migration's
 * columns: the type checker cannot see SQL files, so a column added there must be added here too.
 *
 * Conventions: `bigserial` ids come back from `pg` as strings (int8 does not fit a JS number safely); `jsonb` is
 * written as a JSON string (so an array payload is never mistaken for a Postgres array) and read back parsed;
 * `timestamptz` reads as `Date`.
 */

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
type Json<T> = ColumnType<T, string, string>;
type JsonWithDefault<T> = ColumnType<T, string | undefined, string>;

/** `outbox`: events waiting to be published by the relay (migrations/0001_outbox.sql). */
export interface OutboxTable {
  id: Generated<string>;
  topic: string;
  key: string;
  event: Json<Event>;
  headers: JsonWithDefault<Headers>;
  created_at: Timestamp;
  published_at: NullableTimestamp;
  attempts: ColumnType<number, number | undefined, number>;
  last_error: ColumnType<string | null, string | null | undefined, string | null>;
}

/** `processed_events`: (consumer group, event id) pairs already applied, for Postgres-side idempotency. */
export interface ProcessedEventsTable {
  consumer_group: string;
  event_id: string;
  processed_at: Timestamp;
}

/**
 * `event_archive`: bronze of the medallion export — every message the `analytics-archive` consumers consumed, raw
 * (migrations/0012_event_archive.sql). Unique on (topic, partition, offset, value_sha256): redelivery adds nothing.
 */
export interface EventArchiveTable {
  id: Generated<string>;
  topic: string;
  partition: number;
  offset: string;
  key: string;
  headers: JsonWithDefault<Headers>;
  value: string;
  value_sha256: string;
  event_id: ColumnType<string | null, string | null | undefined, string | null>;
  event_type: ColumnType<string | null, string | null | undefined, string | null>;
  occurred_at: NullableTimestamp;
  event_at: Timestamp;
  consumed_at: Timestamp;
}

type Nullable<T> = ColumnType<T | null, T | null | undefined, T | null>;
type WithDefault<T> = ColumnType<T, T | undefined, T>;

/** `stores` (migrations/0002_dispatch.sql). */
export interface StoresTable {
  id: string;
  name: string;
  lat: number;
  lon: number;
  h3_cell: string;
  created_at: Timestamp;
}

export type RiderStatus = 'offline' | 'idle' | 'assigned' | 'delivering';

/** `riders`: the status is the truth; Redis mirrors availability and position. */
export interface RidersTable {
  id: string;
  name: string;
  status: WithDefault<RiderStatus>;
  last_lat: Nullable<number>;
  last_lon: Nullable<number>;
  last_seen_at: NullableTimestamp;
  created_at: Timestamp;
  updated_at: Timestamp;
}

/** A GeoJSON LineString as stored in `path_templates.geometry`. */
export interface StoredLineString {
  type: 'LineString';
  coordinates: Array<[number, number]>;
}

/** `path_templates`: hot paths from a store toward an H3 cell. */
export interface PathTemplatesTable {
  id: string;
  store_id: string;
  h3_cell: string;
  h3_resolution: number;
  target_lat: number;
  target_lon: number;
  geometry: Json<StoredLineString>;
  distance_m: number;
  duration_s: number;
  corridor_cells: string[];
  router: string;
  created_at: Timestamp;
}

export type OrderStatus =
  | 'placed'
  | 'cooking'
  | 'ready'
  | 'batched'
  | 'assigned'
  | 'picked_up'
  | 'delivered'
  | 'cancelled';

/** `orders`. */
export interface OrdersTable {
  id: string;
  store_id: string;
  idempotency_key: Nullable<string>;
  request_hash: Nullable<string>;
  drop_lat: number;
  drop_lon: number;
  h3_cell: string;
  items: Json<unknown[]>;
  status: WithDefault<OrderStatus>;
  path_id: Nullable<string>;
  placed_at: Timestamp;
  ready_at: Timestamp;
  /** When the store said it started cooking (migrations/0008); null until then, whatever the status. */
  cooking_started_at: NullableTimestamp;
  ready_marked_at: NullableTimestamp;
  promised_at: Timestamp;
  batched_at: NullableTimestamp;
  assigned_at: NullableTimestamp;
  picked_up_at: NullableTimestamp;
  delivered_at: NullableTimestamp;
  cancelled_at: NullableTimestamp;
  delivered_lat: Nullable<number>;
  delivered_lon: Nullable<number>;
  delivery_distance_m: Nullable<number>;
  /** Why a cancelled order was cancelled (migrations/0006): `customer` or `drop_unreachable`; null otherwise. */
  cancel_reason: Nullable<OrderCancelReason>;
  /** Whether confirming this drop delivered the batch (its last drop); null until delivered. */
  delivery_closed_batch: Nullable<boolean>;
  /** SHA-256 (hex) of the order's read token `dgo_or_…` (migrations/0009); null for orders placed before it. */
  read_token_hash: Nullable<string>;
  /** The first drop ETA dispatch quoted (migrations/0010_order_first_eta.sql); NULL until quoted. */
  first_eta_at: NullableTimestamp;
  updated_at: Timestamp;
}

/** Why an order ended cancelled. */
export type OrderCancelReason = 'customer' | 'drop_unreachable';

export type BatchStatus = 'open' | 'sealed' | 'assigned' | 'picked_up' | 'delivered' | 'cancelled';

/** One stop of a batch's refined route, as stored in `batches.stops`. */
export interface StoredStop {
  kind: 'pickup' | 'drop';
  order_id: string | null;
  lat: number;
  lon: number;
  /** ISO-8601 estimated arrival. */
  eta: string;
}

/** `batches`. */
export interface BatchesTable {
  id: string;
  store_id: string;
  path_id: string;
  status: WithDefault<BatchStatus>;
  capacity: number;
  order_count: WithDefault<number>;
  opened_at: Timestamp;
  window_closes_at: Timestamp;
  latest_departure_at: Timestamp;
  ready_at: Timestamp;
  sealed_at: NullableTimestamp;
  seal_reason: Nullable<string>;
  estimated_cost_s: WithDefault<number>;
  refined_cost_s: Nullable<number>;
  stops: ColumnType<StoredStop[] | null, string | null | undefined, string | null>;
  rider_id: Nullable<string>;
  assigned_at: NullableTimestamp;
  picked_up_at: NullableTimestamp;
  delivered_at: NullableTimestamp;
  updated_at: Timestamp;
}

/** `batch_orders`: an order is in at most one batch. */
export interface BatchOrdersTable {
  batch_id: string;
  order_id: string;
  sequence: number;
  detour_s: WithDefault<number>;
  added_at: Timestamp;
}

/** What the best plan in hindsight did differently (migrations/0013_batch_regret_hindsight.sql). */
export type RegretAlternativeColumn = 'as_executed' | 'resequence' | 'other_rider' | 'split' | 'merge';

/**
 * `batch_regret`: one row per refined batch. The estimate columns are written when the batch is refined; the hindsight
 * columns (migrations/0013) once the batch and its decision window are over, NULL until then.
 */
export interface BatchRegretTable {
  batch_id: string;
  estimated_s: number;
  refined_s: number;
  /** (refined − estimated) / estimated: the batching step's estimate error (the figure once called regret). */
  estimate_error: number;
  order_count: number;
  computed_at: Timestamp;
  store_id: Nullable<string>;
  decided_at: NullableTimestamp;
  realised_s: Nullable<number>;
  hindsight_best_s: Nullable<number>;
  regret_s: Nullable<number>;
  relative: Nullable<number>;
  actual_s: Nullable<number>;
  alternative: Nullable<RegretAlternativeColumn>;
  merged_with: Nullable<string>;
  best_trips: ColumnType<
    Array<{ rider_id: string; order_ids: string[] }> | null,
    string | null | undefined,
    string | null
  >;
  hindsight_at: NullableTimestamp;
}

/** Who a credential belongs to (migrations/0009_credentials.sql). Order read tokens live on `orders`. */
export type CredentialKind = 'operator' | 'store' | 'rider';

/** `credentials`: hashed bearer tokens of operators, stores and riders (migrations/0009_credentials.sql). */
export interface CredentialsTable {
  id: string;
  kind: CredentialKind;
  /** The store (store key) or rider (rider token); null for operator keys. */
  subject_id: Nullable<string>;
  /** SHA-256 of the token, hex. The token itself is never stored. */
  token_hash: string;
  label: WithDefault<string>;
  created_at: Timestamp;
  revoked_at: NullableTimestamp;
}

/** Every table, keyed by name: the type parameter of `Kysely<Database>`. */
export interface Database {
  outbox: OutboxTable;
  processed_events: ProcessedEventsTable;
  event_archive: EventArchiveTable;
  stores: StoresTable;
  riders: RidersTable;
  path_templates: PathTemplatesTable;
  orders: OrdersTable;
  batches: BatchesTable;
  batch_orders: BatchOrdersTable;
  batch_regret: BatchRegretTable;
  credentials: CredentialsTable;
}

export type OutboxRow = Selectable<OutboxTable>;
export type NewOutboxRow = Insertable<OutboxTable>;

/** `rider_locations`: GPS history, partitioned by day on `recorded_at` (migrations/0005_rider_locations.sql). */
export interface RiderLocationsTable {
  rider_id: string;
  recorded_at: Timestamp;
  lat: number;
  lon: number;
  speed: Nullable<number>;
  heading: Nullable<number>;
  accuracy: Nullable<number>;
  received_at: Timestamp;
}

/** Kysely's database type including the telemetry tables (kept apart so `Database` stays the dispatch core's). */
export interface TelemetryDatabase extends Database {
  rider_locations: RiderLocationsTable;
}
