import { randomUUID } from 'node:crypto';
import { latLngToCell } from 'h3-js';
import type { Kysely, Transaction } from 'kysely';
import type { Database, OrderStatus } from '../db/schema.ts';
import { nextBatchStatus } from '../dispatch/batch-lifecycle.ts';
import { record } from '../events/catalog.ts';
import { enqueue, withActiveTrace } from '../outbox/outbox.ts';
import type { Clock } from '../platform/clock.ts';
import { type AppError, conflict, invalidInput, notFound } from '../platform/errors.ts';
import { findStore } from '../stores/store-repository.ts';
import { batchUpdated, orderUpdated } from './order-events.ts';
import { nextOrderStatus, targetOfEvent, type OrderEvent } from './order-lifecycle.ts';
import {
  batchIdOfOrder,
  findOrder,
  findOrderByIdempotencyKey,
  findOrderWithDispatch,
  placeOrdersOnce,
  type OrderToPlace,
  type PlaceOutcome,
  type OrderRow,
  type OrderWithDispatch,
} from './order-repository.ts';
import { Coalescer } from '../platform/coalescer.ts';
import type { Logger } from '../platform/logger.ts';
import { RoutingUnavailableError, type LatLng, type Router } from '../routing/router.ts';
import { requestHash } from './request-hash.ts';

/**
 * Default delivery promise: the customer is promised the food this many minutes after the kitchen expects it ready
 * (`promised_at = ready_at + 30 min`) unless the request says otherwise.
 */
export const DEFAULT_DELIVERY_PROMISE_MIN = 30;

export interface OrderServiceDeps {
  db: Kysely<Database>;
  clock: Clock;
  /** H3 resolution of the drop cell (config.h3Resolution). */
  h3Resolution: number;
  /** Minutes from ready to the promised delivery when a request gives no `promised_at`. */
  deliveryPromiseMin?: number;
  /**
   * Placement statements in flight at once (default 1). Orders placed while all are busy leave together in the next
   * statement (at most 200): one round trip and one commit for many orders under load, none added when idle. One in
   * flight makes the batches largest: 9–22 % more orders/s on two cores than 4 in flight, at the same paced P99
   * (A/B in bench/results/dispatch.md, "fifth session").
   */
  placeConcurrency?: number;
  /**
   * The road router's reachability check (any `Router`). With it, a drop no rider can reach from the store — farther
   * than the router's snap limit from any road, or with no road route — is refused at placement (400
   * `order.drop_unreachable`, field `drop`). The straight-line router has no roads and refuses nothing.
   */
  reachability?: Pick<Router, 'reachability'>;
  /**
   * How long placement waits for that check (default 1000 ms; OSRM answers in well under 1 ms). Past it the order is
   * accepted unchecked, so a hanging router slows no customer by its retries.
   */
  reachabilityTimeoutMs?: number;
  /** Logs a placement accepted unchecked because the router could not answer. */
  logger?: Pick<Logger, 'warn'>;
}

export interface NewOrder {
  store_id: string;
  drop: { lat: number; lon: number };
  items: Array<{ name: string; qty: number }>;
  /** Exactly one of `prep_minutes` and `ready_at` (ISO-8601). */
  prep_minutes?: number | undefined;
  ready_at?: string | undefined;
  promised_at?: string | undefined;
}

export interface PlacedOrder {
  order: OrderWithDispatch;
  /** True when an earlier request with the same idempotency key created the order. */
  replayed: boolean;
}

export interface OrderService {
  /**
   * Places an order (idempotent by `idempotencyKey`). `readTokenHash`: the SHA-256 of the customer's read token
   * (internal/auth/token.ts), stored with a new order; a replay keeps the first one's.
   */
  place(input: NewOrder, idempotencyKey?: string, readTokenHash?: string): Promise<PlacedOrder>;
  get(id: string): Promise<OrderWithDispatch>;
  /**
   * The store accepted the order and started cooking: records `cooking_started_at`; placed → cooking, while a batched
   * or assigned order keeps its status (order-lifecycle.ts).
   */
  startCooking(id: string): Promise<OrderWithDispatch>;
  /** The kitchen finished: records `ready_marked_at` (the start of the matching SLA) and emits `order.ready`. */
  markReady(id: string): Promise<OrderWithDispatch>;
  /** Cancels before pickup; an order of an open batch leaves that batch. */
  cancel(id: string): Promise<OrderWithDispatch>;
}

/** The 409 every illegal lifecycle step answers. */
export function illegalTransition(orderId: string, from: OrderStatus, event: OrderEvent): AppError {
  const to = targetOfEvent(event);
  return conflict('order.illegal_transition', `order ${orderId} cannot go from ${from} to ${to}`, {
    order_id: orderId,
    from,
    to,
  });
}

const orderNotFound = (id: string) => notFound('order.not_found', `order ${id} does not exist`, { order_id: id });

/**
 * Refuses a drop the router says no rider can reach from `store`: 400 naming `drop` (or `store_id` when the store
 * itself is off the network), with the snap distance and the limit. When the router cannot answer, the order is
 * accepted: an outage is no reason to turn customers away, and dispatch ends an order it later finds unreachable.
 */
export async function assertDropReachable(
  router: Pick<Router, 'reachability'>,
  store: LatLng,
  drop: LatLng,
  options: { logger?: Pick<Logger, 'warn'> | undefined; timeoutMs?: number | undefined } = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 1000;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), timeoutMs);
  });
  let answer;
  try {
    answer = await Promise.race([router.reachability(store, drop), late]);
  } catch (error) {
    if (!(error instanceof RoutingUnavailableError)) throw error;
    options.logger?.warn({ err: error.message }, 'order placed without a road check: the router could not answer');
    return;
  } finally {
    clearTimeout(timer);
  }
  if (answer === 'late') {
    options.logger?.warn({ timeoutMs }, 'order placed without a road check: the router did not answer in time');
    return;
  }
  if (answer.reachable) return;
  const facts = {
    reason: answer.reason,
    ...(answer.snapDistanceM !== undefined ? { snap_distance_m: Math.round(answer.snapDistanceM * 10) / 10 } : {}),
    ...(answer.maxSnapDistanceM !== undefined ? { max_snap_distance_m: answer.maxSnapDistanceM } : {}),
  };
  if (answer.end === 'from') {
    throw invalidInput(
      'order.store_unreachable',
      `the store is not on the road network (${answer.reason}); no drop can be delivered from it`,
      {
        field: 'store_id',
        ...facts,
      },
    );
  }
  throw invalidInput(
    'order.drop_unreachable',
    `drop: no rider can reach it by road from the store (${answer.reason})`,
    { field: 'drop', ...facts },
  );
}

/** Orders: placement (idempotent), the kitchen steps and cancellation. Every change and its events in one transaction. */
export function createOrderService(deps: OrderServiceDeps): OrderService {
  const { db, clock } = deps;
  const promiseMs = (deps.deliveryPromiseMin ?? DEFAULT_DELIVERY_PROMISE_MIN) * 60_000;
  // Concurrent placements share statements. A failed shared statement (which should not happen: the input is
  // validated and the store checked in SQL) is retried order by order, so one bad order cannot fail its neighbours.
  const placer = new Coalescer<OrderToPlace, PlaceOutcome>(
    async (orders) => {
      if (orders.length === 1) return placeOrdersOnce(db, orders);
      try {
        return await placeOrdersOnce(db, orders);
      } catch {
        return Promise.all(orders.map(async (o) => (await placeOrdersOnce(db, [o]))[0]!));
      }
    },
    { maxInFlight: deps.placeConcurrency ?? 1, maxBatch: 200 },
  );

  // Store positions for the road check. Stores never move (there is no route that changes one), so a position read
  // once stays true; only stores that receive orders are kept, and only while a road router is configured.
  const storePositions = new Map<string, LatLng | null>();
  const storePosition = async (storeId: string): Promise<LatLng | null> => {
    const known = storePositions.get(storeId);
    if (known) return known;
    const store = await findStore(db, storeId);
    const position = store ? { lat: store.lat, lon: store.lon } : null;
    if (position) storePositions.set(storeId, position);
    return position;
  };

  const view = async (id: string): Promise<OrderWithDispatch> => {
    const order = await findOrderWithDispatch(db, id);
    if (!order) throw orderNotFound(id);
    return order;
  };

  /** One transaction: lock the order, run `guard`, check `event` is legal from its status, then `change` (which writes the row and its events). */
  const step = async (
    id: string,
    event: OrderEvent,
    change: (order: OrderRow, next: OrderStatus, now: Date, trx: Transaction<Database>) => Promise<void>,
    guard: (order: OrderRow) => void = () => {},
  ): Promise<OrderWithDispatch> => {
    const now = new Date(clock.now());
    await db.transaction().execute(async (trx) => {
      const order = await findOrder(trx, id, true);
      if (!order) throw orderNotFound(id);
      guard(order);
      const next = nextOrderStatus(order.status, event);
      if (next === null) throw illegalTransition(id, order.status, event);
      await change(order, next, now, trx);
    });
    return view(id);
  };

  return {
    async place(input, idempotencyKey, readTokenHash) {
      const now = new Date(clock.now());
      const readyAt =
        input.ready_at !== undefined
          ? new Date(input.ready_at)
          : new Date(now.getTime() + (input.prep_minutes ?? 0) * 60_000);
      const promisedAt =
        input.promised_at !== undefined ? new Date(input.promised_at) : new Date(readyAt.getTime() + promiseMs);
      const storeMissing = () =>
        notFound('store.not_found', `store ${input.store_id} does not exist`, {
          field: 'store_id',
          store_id: input.store_id,
        });
      if (promisedAt.getTime() < readyAt.getTime()) {
        // An unknown store is the first thing to report, as before the one-statement write (rare path: one extra read).
        if (!(await findStore(db, input.store_id))) throw storeMissing();
        throw invalidInput(
          'order.promise_before_ready',
          `promised_at (${promisedAt.toISOString()}) is before the order is ready (${readyAt.toISOString()})`,
          {
            field: 'promised_at',
          },
        );
      }
      if (deps.reachability) {
        const store = await storePosition(input.store_id);
        if (!store) throw storeMissing();
        await assertDropReachable(deps.reachability, store, input.drop, {
          logger: deps.logger,
          timeoutMs: deps.reachabilityTimeoutMs,
        });
      }
      const hash = idempotencyKey !== undefined ? requestHash(input) : null;
      const cell = latLngToCell(input.drop.lat, input.drop.lon, deps.h3Resolution);
      const id = randomUUID();
      const storeId = input.store_id;
      // The events describe the row about to be inserted; they are written only if it is (same statement). They carry
      // this request's trace now: the shared statement runs in another request's context.
      const records = withActiveTrace([
        record(
          'orderPlaced',
          storeId,
          {
            orderId: id,
            storeId,
            cell,
            drop: { lat: input.drop.lat, lon: input.drop.lon },
            placedAt: now.toISOString(),
            readyAt: readyAt.toISOString(),
            promisedAt: promisedAt.toISOString(),
          },
          now,
        ),
        orderUpdated({ id, store_id: storeId, status: 'placed' }, now, { batchId: null, riderId: null }),
      ]);
      // One round trip, usually shared with concurrent placements: store check + idempotent insert + outbox rows +
      // pg_notify (was 7 per order: store read, BEGIN, insert, outbox insert, notify, COMMIT, re-read).
      // The order as it reads once inserted: no batch, rider or ETA yet. Every field is written out, not spread from a
      // partial row: adding 20 properties to a spread copy cost ~12 KB of garbage per order (V8 regrows the copy's
      // property store at each), a sixth of the API's allocation per order (bench/results/dispatch.md).
      const order: OrderWithDispatch = {
        id,
        store_id: storeId,
        idempotency_key: idempotencyKey ?? null,
        request_hash: hash,
        read_token_hash: readTokenHash ?? null,
        drop_lat: input.drop.lat,
        drop_lon: input.drop.lon,
        h3_cell: cell,
        items: input.items,
        placed_at: now,
        ready_at: readyAt,
        promised_at: promisedAt,
        status: 'placed',
        path_id: null,
        cooking_started_at: null,
        ready_marked_at: null,
        batched_at: null,
        assigned_at: null,
        picked_up_at: null,
        delivered_at: null,
        cancelled_at: null,
        delivered_lat: null,
        delivered_lon: null,
        delivery_distance_m: null,
        cancel_reason: null,
        delivery_closed_batch: null,
        first_eta_at: null,
        updated_at: now,
        batch_id: null,
        batch_status: null,
        rider_id: null,
        eta: null,
      };
      const outcome = await placer.call({ order, records });
      if (outcome.kind === 'store_not_found') throw storeMissing();
      if (outcome.kind === 'inserted') return { order, replayed: false };
      // The key is taken (the insert waited for its holder to commit, so this later statement sees it).
      const existing = await findOrderByIdempotencyKey(db, idempotencyKey!);
      if (!existing) throw new Error(`idempotency key conflict without a holder: ${idempotencyKey}`);
      if (existing.request_hash !== hash) {
        throw conflict(
          'order.idempotency_key_reused',
          `Idempotency-Key ${idempotencyKey} was already used for a different request (order ${existing.id}); use a new key for a new order`,
          { field: 'Idempotency-Key', order_id: existing.id },
        );
      }
      return { order: await view(existing.id), replayed: true };
    },

    get: view,

    startCooking: (id) =>
      step(
        id,
        'start_cooking',
        async (order, next, now, trx) => {
          // On a batched or assigned order the status stays (dispatch's), but the kitchen's fact is recorded and
          // published like any change: the answer and `order.updated` both show `cooking_started_at`.
          if (order.ready_marked_at !== null) {
            throw conflict(
              'order.already_ready',
              `order ${id} was already marked ready at ${order.ready_marked_at.toISOString()}; cooking comes before ready`,
              {
                order_id: id,
                ready_marked_at: order.ready_marked_at.toISOString(),
              },
            );
          }
          const updated = await trx
            .updateTable('orders')
            .set({ status: next, cooking_started_at: now, updated_at: now })
            .where('id', '=', id)
            .returningAll()
            .executeTakeFirstOrThrow();
          await enqueue(trx, [orderUpdated(updated, now, { cookingStartedAt: now.toISOString() })]);
        },
        // A second "cooking" is a repeat, whatever the status is by now (as for "ready").
        (order) => {
          if (order.cooking_started_at !== null) {
            throw conflict(
              'order.already_cooking',
              `order ${id} started cooking at ${order.cooking_started_at.toISOString()}`,
              {
                order_id: id,
                cooking_started_at: order.cooking_started_at.toISOString(),
              },
            );
          }
        },
      ),

    markReady: (id) =>
      step(
        id,
        'mark_ready',
        async (order, next, now, trx) => {
          const updated = await trx
            .updateTable('orders')
            .set({ status: next, ready_marked_at: now, updated_at: now })
            .where('id', '=', id)
            .returningAll()
            .executeTakeFirstOrThrow();
          await enqueue(trx, [
            record(
              'orderReady',
              order.store_id,
              { orderId: id, storeId: order.store_id, readyMarkedAt: now.toISOString() },
              now,
            ),
            orderUpdated(updated, now, { readyMarkedAt: now.toISOString() }),
          ]);
        },
        // A second "ready" is a repeat the client should hear about as such, whatever the status is by now.
        (order) => {
          if (order.ready_marked_at !== null) {
            throw conflict(
              'order.already_ready',
              `order ${id} was already marked ready at ${order.ready_marked_at.toISOString()}`,
              {
                order_id: id,
                ready_marked_at: order.ready_marked_at.toISOString(),
              },
            );
          }
        },
      ),

    async cancel(id) {
      // Lock order: batch, then order — the order the dispatcher uses when it changes a batch and its orders.
      // The batch is found before any lock, so it is re-checked under the locks; a batching that slipped in between
      // (the only way membership changes) makes us start over.
      for (let attempt = 0; ; attempt++) {
        const now = new Date(clock.now());
        const done = await db.transaction().execute(async (trx) => {
          const batchId = await batchIdOfOrder(trx, id);
          const batch = batchId
            ? await trx
                .selectFrom('batches')
                .selectAll()
                .where('id', '=', batchId)
                .forUpdate()
                .executeTakeFirstOrThrow()
            : undefined;
          const order = await findOrder(trx, id, true);
          if (!order) throw orderNotFound(id);
          if ((await batchIdOfOrder(trx, id)) !== batchId) return false;
          const next = nextOrderStatus(order.status, 'cancel');
          if (next === null) throw illegalTransition(id, order.status, 'cancel');
          const records = [];
          if (batch) {
            if (batch.status !== 'open') {
              throw conflict(
                'order.cancel_too_late',
                `order ${id} is in batch ${batch.id}, which is already ${batch.status}; it can no longer be cancelled`,
                {
                  order_id: id,
                  batch_id: batch.id,
                  batch_status: batch.status,
                },
              );
            }
            await trx.deleteFrom('batch_orders').where('order_id', '=', id).execute();
            const remaining = await trx
              .selectFrom('batch_orders')
              .select('order_id')
              .where('batch_id', '=', batch.id)
              .orderBy('sequence')
              .execute();
            // An empty open batch would otherwise be sealed and dispatched with nothing in it.
            const batchNext = remaining.length === 0 ? nextBatchStatus(batch.status, 'cancel') : batch.status;
            if (batchNext === null)
              throw conflict('batch.illegal_transition', `batch ${batch.id} cannot cancel from ${batch.status}`, {
                batch_id: batch.id,
                from: batch.status,
                event: 'cancel',
              });
            const updatedBatch = await trx
              .updateTable('batches')
              .set({ order_count: remaining.length, status: batchNext, updated_at: now })
              .where('id', '=', batch.id)
              .returningAll()
              .executeTakeFirstOrThrow();
            records.push(
              batchUpdated(updatedBatch, now, { orderIds: remaining.map((r) => r.order_id), removedOrderId: id }),
            );
          }
          const updated = await trx
            .updateTable('orders')
            .set({ status: next, cancelled_at: now, cancel_reason: 'customer', updated_at: now })
            .where('id', '=', id)
            .returningAll()
            .executeTakeFirstOrThrow();
          records.unshift(orderUpdated(updated, now, { batchId: null, riderId: null }));
          await enqueue(trx, records);
          return true;
        });
        if (done) return view(id);
        if (attempt >= 2)
          throw conflict('order.busy', `order ${id} is being batched right now; retry`, { order_id: id });
      }
    },
  };
}
