import type { OutgoingRecord } from '../eventbus/event-bus.ts';
import { record } from '../events/catalog.ts';

/** `order.updated` for the live map, keyed by the order id so one order's updates stay in order. */
export function orderUpdated(
  order: { id: string; store_id: string; status: string },
  now: Date,
  extra: { batchId?: string | null; riderId?: string | null; eta?: Date | null; [k: string]: unknown } = {},
): OutgoingRecord {
  const { eta, ...rest } = extra;
  return record(
    'orderUpdated',
    order.id,
    {
      ...rest,
      orderId: order.id,
      storeId: order.store_id,
      status: order.status,
      ...(eta !== undefined ? { eta: eta?.toISOString() ?? null } : {}),
    },
    now,
  );
}

/** `batch.updated`, keyed by the batch id. */
export function batchUpdated(
  batch: { id: string; store_id: string; status: string; rider_id: string | null },
  now: Date,
  extra: { orderIds?: string[]; [k: string]: unknown } = {},
): OutgoingRecord {
  return record(
    'batchUpdated',
    batch.id,
    { ...extra, batchId: batch.id, storeId: batch.store_id, status: batch.status, riderId: batch.rider_id },
    now,
  );
}

/** `rider.updated`, keyed by the rider id. */
export function riderUpdated(
  rider: { id: string; status: string },
  now: Date,
  extra: { batchId?: string | null; [k: string]: unknown } = {},
): OutgoingRecord {
  return record('riderUpdated', rider.id, { ...extra, riderId: rider.id, status: rider.status }, now);
}
