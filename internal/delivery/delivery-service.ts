import type { Kysely, Selectable, Transaction } from 'kysely';
import type { BatchesTable, BatchStatus, Database } from '../db/schema.ts';
import type { OutgoingRecord } from '../eventbus/event-bus.ts';
import { nextBatchStatus } from '../dispatch/batch-lifecycle.ts';
import { batchUpdated, orderUpdated, riderUpdated } from '../orders/order-events.ts';
import { nextOrderStatus } from '../orders/order-lifecycle.ts';
import { illegalTransition } from '../orders/order-service.ts';
import { enqueue } from '../outbox/outbox.ts';
import type { Clock } from '../platform/clock.ts';
import { AppError, conflict, forbidden, notFound, unavailable } from '../platform/errors.ts';
import type { Logger } from '../platform/logger.ts';
import { markAvailable, type RiderAvailabilityPort } from '../riders/rider-availability.ts';
import { nextRiderStatus } from '../riders/rider-lifecycle.ts';
import { findRider } from '../riders/rider-repository.ts';
import { checkDropDistance, DELIVERY_RADIUS_M } from './drop-distance.ts';
import { DEFAULT_FIX_MAX_AGE_MS, DELIVERY_CLAIM_TOLERANCE_M, judgeFix } from './drop-evidence.ts';

export { DELIVERY_RADIUS_M };

export type BatchRow = Selectable<BatchesTable>;

export interface DeliveryServiceDeps {
  db: Kysely<Database>;
  clock: Clock;
  geo: RiderAvailabilityPort;
  logger: Logger;
  /** Override of {@link DELIVERY_RADIUS_M}. */
  deliveryRadiusM?: number;
  /**
   * How old (on `clock`, since the server received it) the rider's GPS fix may be for a drop to be confirmed on it
   * (`DELIVERY_FIX_MAX_AGE_S`; default {@link DEFAULT_FIX_MAX_AGE_MS}).
   */
  fixMaxAgeMs?: number;
}

export interface DeliveryConfirmation {
  order_id: string;
  rider_id: string;
  /**
   * Where the rider's app says it stands (optional). It is evidence of nothing: the server decides on the rider's own
   * last GPS fix, and a claimed point only has to agree with that fix.
   */
  lat?: number | undefined;
  lon?: number | undefined;
}

export interface ConfirmedDelivery {
  batch: BatchRow;
  order_id: string;
  distance_m: number;
  /** True when this was the batch's last drop: the batch is delivered and the rider idle again. */
  batch_delivered: boolean;
  /**
   * True when the drop had already been confirmed (a client retrying after a lost answer): the result is the first
   * confirmation's answer, and nothing changed.
   */
  replayed: boolean;
}

export interface DeliveryService {
  /** The assigned rider collected the batch at the store. */
  pickup(batchId: string, riderId: string): Promise<BatchRow>;
  /**
   * The rider handed one order over. Accepted only when the rider's latest GPS fix the server received (the geo
   * store's current position) is fresh and within the delivery radius of that order's drop; a claimed (lat, lon)
   * must agree with that fix. Confirming an already delivered drop again (same batch,
   * same rider) answers what the first confirmation answered, with `replayed: true`.
   */
  confirmDelivery(batchId: string, input: DeliveryConfirmation): Promise<ConfirmedDelivery>;
}

const batchNotFound = (id: string) => notFound('batch.not_found', `batch ${id} does not exist`, { batch_id: id });

function illegalBatchTransition(batch: BatchRow, to: BatchStatus): AppError {
  return conflict('batch.illegal_transition', `batch ${batch.id} cannot go from ${batch.status} to ${to}`, {
    batch_id: batch.id,
    from: batch.status,
    to,
  });
}

/** Locks the batch row: every pickup and confirmation of one batch runs one at a time. */
async function lockBatch(trx: Transaction<Database>, batchId: string): Promise<BatchRow> {
  const batch = await trx.selectFrom('batches').selectAll().where('id', '=', batchId).forUpdate().executeTakeFirst();
  if (!batch) throw batchNotFound(batchId);
  return batch;
}

function assertRider(batch: BatchRow, riderId: string): void {
  if (batch.rider_id !== riderId) {
    throw forbidden('batch.not_your_batch', `batch ${batch.id} is not assigned to rider ${riderId}`, {
      batch_id: batch.id,
      rider_id: riderId,
    });
  }
}

/**
 * Pickup and drop confirmation. Each call is one transaction that first locks the batch row (then its orders, then
 * the rider — always in that order), so two confirmations of one batch cannot both see "one drop left".
 */
export function createDeliveryService(deps: DeliveryServiceDeps): DeliveryService {
  const { db, clock, geo, logger } = deps;
  const radiusM = deps.deliveryRadiusM ?? DELIVERY_RADIUS_M;
  const fixMaxAgeMs = deps.fixMaxAgeMs ?? DEFAULT_FIX_MAX_AGE_MS;
  /** The rider's current fix; the geo store being away is a 503 (retry), not a bug and not "no fix". */
  const riderFix = (riderId: string) =>
    geo.getRiderPosition(riderId).catch((error: unknown) => {
      if (error instanceof AppError) throw error;
      throw unavailable(
        'delivery.fix_unavailable',
        `the rider's GPS fix cannot be read: ${error instanceof Error ? error.message : String(error)}`,
      );
    });

  return {
    async pickup(batchId, riderId) {
      const now = new Date(clock.now());
      return db.transaction().execute(async (trx) => {
        const batch = await lockBatch(trx, batchId);
        // A batch nobody carries yet is a state problem (409), not someone else's batch (403).
        if (batch.rider_id !== null) assertRider(batch, riderId);
        const batchNext = nextBatchStatus(batch.status, 'pick_up');
        if (batchNext === null || batch.rider_id === null) throw illegalBatchTransition(batch, 'picked_up');

        const orders = await trx
          .selectFrom('orders')
          .innerJoin('batch_orders', 'batch_orders.order_id', 'orders.id')
          .selectAll('orders')
          .where('batch_orders.batch_id', '=', batchId)
          .orderBy('batch_orders.sequence')
          .forUpdate('orders')
          .execute();
        const rider = await findRider(trx, riderId, true);
        if (!rider) throw notFound('rider.not_found', `rider ${riderId} does not exist`, { rider_id: riderId });
        const riderNext = nextRiderStatus(rider.status, 'pick_up');
        if (riderNext === null) {
          throw conflict('rider.illegal_transition', `rider ${riderId} cannot go from ${rider.status} to delivering`, {
            from: rider.status,
            to: 'delivering',
          });
        }

        const records: OutgoingRecord[] = [];
        for (const order of orders) {
          const next = nextOrderStatus(order.status, 'pick_up');
          if (next === null) throw illegalTransition(order.id, order.status, 'pick_up');
          const updated = await trx
            .updateTable('orders')
            .set({ status: next, picked_up_at: now, updated_at: now })
            .where('id', '=', order.id)
            .returningAll()
            .executeTakeFirstOrThrow();
          records.push(orderUpdated(updated, now, { batchId, riderId }));
        }
        const updatedBatch = await trx
          .updateTable('batches')
          .set({ status: batchNext, picked_up_at: now, updated_at: now })
          .where('id', '=', batchId)
          .returningAll()
          .executeTakeFirstOrThrow();
        const updatedRider = await trx
          .updateTable('riders')
          .set({ status: riderNext, updated_at: now })
          .where('id', '=', riderId)
          .returningAll()
          .executeTakeFirstOrThrow();
        records.unshift(batchUpdated(updatedBatch, now, { orderIds: orders.map((o) => o.id) }));
        records.push(riderUpdated(updatedRider, now, { batchId }));
        await enqueue(trx, records);
        return updatedBatch;
      });
    },

    async confirmDelivery(batchId, input) {
      const now = new Date(clock.now());
      const result = await db.transaction().execute(async (trx) => {
        const batch = await lockBatch(trx, batchId);
        assertRider(batch, input.rider_id);
        const order = await trx
          .selectFrom('orders')
          .innerJoin('batch_orders', 'batch_orders.order_id', 'orders.id')
          .selectAll('orders')
          .where('batch_orders.batch_id', '=', batchId)
          .where('orders.id', '=', input.order_id)
          .forUpdate('orders')
          .executeTakeFirst();
        if (!order) {
          throw notFound('delivery.order_not_in_batch', `order ${input.order_id} is not in batch ${batchId}`, {
            field: 'order_id',
            batch_id: batchId,
            order_id: input.order_id,
          });
        }
        if (order.status === 'delivered') {
          // A retry of a confirmation whose answer was lost: the drop is done, answer what the first call answered.
          // The rider was checked above; the position in the retry does not matter any more.
          // Drops confirmed before migration 0006 have no flag: the batch's delivery instant then tells (same transaction).
          const closed =
            order.delivery_closed_batch ??
            (batch.status === 'delivered' && batch.delivered_at?.getTime() === order.delivered_at?.getTime());
          const status: BatchStatus = closed ? 'delivered' : 'picked_up';
          return {
            batch: { ...batch, status },
            order_id: order.id,
            distance_m: order.delivery_distance_m ?? 0,
            batch_delivered: closed,
            replayed: true,
            at: null,
          };
        }
        const batchNext = nextBatchStatus(batch.status, 'deliver');
        if (batchNext === null) throw illegalBatchTransition(batch, 'delivered');
        const next = nextOrderStatus(order.status, 'deliver');
        if (next === null) throw illegalTransition(order.id, order.status, 'deliver');

        // The server's evidence: the rider's latest fix as the geo store received it (read after the batch lock, so a
        // ping that arrived before this confirmation is seen). The body's point is only checked against it.
        const fix = judgeFix({
          riderId: input.rider_id,
          orderId: order.id,
          fix: await riderFix(input.rider_id),
          nowMs: now.getTime(),
          maxAgeMs: fixMaxAgeMs,
          claimed: input.lat !== undefined && input.lon !== undefined ? { lat: input.lat, lon: input.lon } : null,
          claimToleranceM: DELIVERY_CLAIM_TOLERANCE_M,
        });
        // The fix against THIS order's drop (DeliveryGO compared a point with itself).
        const check = checkDropDistance(fix, { lat: order.drop_lat, lon: order.drop_lon }, radiusM);
        if (!check.accepted) {
          throw conflict(
            'delivery.too_far',
            `the rider is ${check.shownM} m from the drop of order ${order.id}; at most ${radiusM} m is accepted`,
            {
              distance_m: check.shownM,
              max_distance_m: radiusM,
              order_id: order.id,
            },
          );
        }
        const distance = check.distanceM;

        // The other drops still to do (the batch row is locked, so none changes meanwhile).
        const open = await trx
          .selectFrom('orders')
          .innerJoin('batch_orders', 'batch_orders.order_id', 'orders.id')
          .select('orders.id')
          .where('batch_orders.batch_id', '=', batchId)
          .where('orders.id', '!=', order.id)
          .where('orders.status', 'not in', ['delivered', 'cancelled'])
          .execute();
        const lastDrop = open.length === 0;

        const updatedOrder = await trx
          .updateTable('orders')
          // `delivery_closed_batch` lets a repeated confirmation answer exactly what this one answers.
          .set({
            status: next,
            delivered_at: now,
            delivered_lat: fix.lat,
            delivered_lon: fix.lon,
            delivery_distance_m: distance,
            delivery_closed_batch: lastDrop,
            updated_at: now,
          })
          .where('id', '=', order.id)
          .returningAll()
          .executeTakeFirstOrThrow();
        const records: OutgoingRecord[] = [
          orderUpdated(updatedOrder, now, { batchId, riderId: input.rider_id, deliveryDistanceM: distance }),
        ];

        const rider = await findRider(trx, input.rider_id, true);
        if (!rider)
          throw notFound('rider.not_found', `rider ${input.rider_id} does not exist`, { rider_id: input.rider_id });
        let riderStatus = rider.status;
        let updatedBatch = batch;
        if (lastDrop) {
          const riderNext = nextRiderStatus(rider.status, 'finish');
          if (riderNext === null) {
            throw conflict('rider.illegal_transition', `rider ${rider.id} cannot go from ${rider.status} to idle`, {
              from: rider.status,
              to: 'idle',
            });
          }
          riderStatus = riderNext;
          updatedBatch = await trx
            .updateTable('batches')
            .set({ status: batchNext, delivered_at: now, updated_at: now })
            .where('id', '=', batchId)
            .returningAll()
            .executeTakeFirstOrThrow();
          records.push(batchUpdated(updatedBatch, now));
        }
        // Where the rider stood is its freshest known position: an idle rider is offered again from there.
        const updatedRider = await trx
          .updateTable('riders')
          .set({ status: riderStatus, last_lat: fix.lat, last_lon: fix.lon, last_seen_at: now, updated_at: now })
          .where('id', '=', rider.id)
          .returningAll()
          .executeTakeFirstOrThrow();
        if (lastDrop) records.push(riderUpdated(updatedRider, now, { batchId: null }));
        await enqueue(trx, records);
        return {
          batch: updatedBatch,
          order_id: order.id,
          distance_m: distance,
          batch_delivered: lastDrop,
          replayed: false,
          at: { lat: fix.lat, lon: fix.lon },
        };
      });
      // A replay changed nothing; the rider may even carry another batch by now.
      if (result.batch_delivered && !result.replayed) {
        await markAvailable(geo, logger, input.rider_id, result.at ?? null, now.getTime(), batchId);
      }
      const { at: _at, ...answer } = result;
      return answer;
    },
  };
}
