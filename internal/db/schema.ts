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

/** Every table, keyed by name: the type parameter of `Kysely<Database>`. */
export interface Database {
  outbox: OutboxTable;
  processed_events: ProcessedEventsTable;
}

export type OutboxRow = Selectable<OutboxTable>;
export type NewOutboxRow = Insertable<OutboxTable>;
