import { sql, type Transaction } from 'kysely';
import type { OutgoingRecord } from '../eventbus/event-bus.ts';
import type { Database } from '../db/schema.ts';
import { tracingEnabled, withTraceHeaders } from '../platform/tracing.ts';

/** The LISTEN/NOTIFY channel on which `enqueue` wakes the relay. */
export const OUTBOX_CHANNEL = 'deliverygo_outbox';

/**
 * Adds `records` to the outbox inside the caller's transaction, so the domain rows and the events that describe
 * them commit (or roll back) together. Nothing is published here; `OutboxRelay` does that after commit.
 *
 * Order matters: rows get increasing ids in array order and the relay publishes in id order, so records for one
 * key keep the order given here (and across transactions, as long as writes to one key are serialised — e.g. by a
 * row lock on the aggregate — which a consistent domain does anyway).
 *
 * Also queues a `pg_notify`, which Postgres delivers only if and when the transaction commits, so the relay wakes
 * at once instead of at its next poll, and a rolled-back transaction wakes nobody.
 *
 * With tracing on, a record without a `traceparent` header gets the active trace context (the HTTP request's span in
 * the API, the consumer's span in the worker), so the trace goes on from the row once the relay publishes it.
 */
export async function enqueue(trx: Transaction<Database>, records: readonly OutgoingRecord[]): Promise<void> {
  if (records.length === 0) return;
  await trx
    .insertInto('outbox')
    .values(
      records.map((r) => ({
        topic: r.topic,
        key: r.key,
        event: JSON.stringify(r.event),
        headers: JSON.stringify(withTraceHeaders(r.headers) ?? {}),
      })),
    )
    .execute();
  await sql`select pg_notify(${OUTBOX_CHANNEL}, '')`.execute(trx);
}

/**
 * `records` with the active trace context stamped into their headers now, for records that reach the outbox later and
 * elsewhere: a placement shares one statement with other requests' placements (order-repository.ts), which runs in one
 * of those requests' context, not each record's own. Off: `records` as they are.
 */
export function withActiveTrace(records: readonly OutgoingRecord[]): readonly OutgoingRecord[] {
  if (!tracingEnabled()) return records;
  return records.map((r) => ({ ...r, headers: withTraceHeaders(r.headers) }));
}
