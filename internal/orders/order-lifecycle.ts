import type { OrderStatus } from '../db/schema.ts';

/**
 * The order lifecycle as ONE explicit table. An order has a single `status` column, but two things progress in
 * parallel: the kitchen (placed → cooking → ready) and dispatch (batched → assigned → picked_up → delivered).
 * Batching happens while the food cooks — on a quiet instance within a second of placement, before the store has
 * even said it started cooking — so from then on `status` follows dispatch and the kitchen's progress is tracked by
 * `cooking_started_at` and `ready_marked_at`. The kitchen's two steps stay legal on a batched or assigned order: they
 * are facts about the food, not dispatch decisions, so they are recorded without undoing the batch or the rider.
 *
 *   event \ from  | placed    | cooking   | ready   | batched  | assigned  | picked_up | delivered | cancelled
 *   --------------+-----------+-----------+---------+----------+-----------+-----------+-----------+----------
 *   start_cooking | cooking   | -         | -       | batched* | assigned* | -         | -         | -
 *   mark_ready    | ready     | ready     | -       | batched* | assigned* | -         | -         | -
 *   batch         | batched   | batched   | batched | -        | -         | -         | -         | -
 *   assign        | -         | -         | -       | assigned | -         | -         | -         | -
 *   pick_up       | -         | -         | -       | -        | picked_up | -         | -         | -
 *   deliver       | -         | -         | -       | -        | -         | delivered | -         | -
 *   cancel        | cancelled | cancelled | cancel. | cancel.  | cancel.** | -         | -         | -
 *   release       | -         | -         | -       | -        | batched   | -         | -         | -
 *
 *   -   illegal: the API answers 409 `order.illegal_transition` naming from and to.
 *   *   a kitchen step on an order dispatch already holds: status stays, `cooking_started_at` / `ready_marked_at` is
 *       recorded (and `order.updated` published). Repeats and "cooking" after "ready" are refused by the service,
 *       which sees those columns (409 `order.already_cooking` / `order.already_ready`), not by this table.
 *   **  legal for the order itself; the service still refuses when the order's batch is sealed or has a rider
 *       (taking an order out of a batch in flight would invalidate the route), so in practice only orders of an
 *       open batch are cancelled after batching.
 *
 *   `release` follows its batch back to dispatch when the assigned rider went silent before the pickup.
 */
export type OrderEvent =
  | 'start_cooking'
  | 'mark_ready'
  | 'batch'
  | 'assign'
  | 'pick_up'
  | 'deliver'
  | 'cancel'
  | 'release';

export const ORDER_STATUSES: readonly OrderStatus[] = [
  'placed',
  'cooking',
  'ready',
  'batched',
  'assigned',
  'picked_up',
  'delivered',
  'cancelled',
];
export const ORDER_EVENTS: readonly OrderEvent[] = [
  'start_cooking',
  'mark_ready',
  'batch',
  'assign',
  'pick_up',
  'deliver',
  'cancel',
  'release',
];

const TABLE: Record<OrderEvent, Partial<Record<OrderStatus, OrderStatus>>> = {
  start_cooking: { placed: 'cooking', batched: 'batched', assigned: 'assigned' },
  mark_ready: { placed: 'ready', cooking: 'ready', batched: 'batched', assigned: 'assigned' },
  batch: { placed: 'batched', cooking: 'batched', ready: 'batched' },
  assign: { batched: 'assigned' },
  pick_up: { assigned: 'picked_up' },
  deliver: { picked_up: 'delivered' },
  cancel: {
    placed: 'cancelled',
    cooking: 'cancelled',
    ready: 'cancelled',
    batched: 'cancelled',
    assigned: 'cancelled',
  },
  release: { assigned: 'batched' },
};

/** The status an event leads to when the order is in `current`; null when the event is illegal there. */
export function nextOrderStatus(current: OrderStatus, event: OrderEvent): OrderStatus | null {
  return TABLE[event][current] ?? null;
}

/** The status an event aims at, for error messages ("from batched to picked_up"). */
export function targetOfEvent(event: OrderEvent): OrderStatus {
  const targets: Record<OrderEvent, OrderStatus> = {
    start_cooking: 'cooking',
    mark_ready: 'ready',
    batch: 'batched',
    assign: 'assigned',
    pick_up: 'picked_up',
    deliver: 'delivered',
    cancel: 'cancelled',
    release: 'batched',
  };
  return targets[event];
}

/** True once the order can no longer change. */
export function isTerminal(status: OrderStatus): boolean {
  return status === 'delivered' || status === 'cancelled';
}
