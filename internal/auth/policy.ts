import type { ParsedChannel } from '../ws-hub/channel-name.ts';
import type { Principal } from './principal.ts';

/**
 * Who may do what (issue 13), as pure functions of the principal and the facts of the resource.
 * The HTTP routes and the WebSocket hub ask these; they never compare principals themselves. Operators may do
 * everything; each other principal only what is listed here for it.
 */

/** Operator-only operations: creating and listing stores and riders, live positions, the map, stats, rider tokens. */
export const isOperator = (p: Principal): boolean => p.kind === 'operator';

/** `GET /stores/{id}`: an operator, or that store's key. */
export const mayReadStore = (p: Principal, storeId: string): boolean =>
  isOperator(p) || (p.kind === 'store' && p.storeId === storeId);

/** `POST /orders` for `storeId` (the body's `store_id`): an operator, or that store's key. */
export const mayPlaceOrder = (p: Principal, storeId: string): boolean => mayReadStore(p, storeId);

/** `GET /orders/{id}`: an operator, the order's store's key, or the order's read token. */
export const mayReadOrder = (p: Principal, order: { id: string; storeId: string }): boolean =>
  mayReadStore(p, order.storeId) || (p.kind === 'order' && p.orderId === order.id);

/** Kitchen steps and cancellation (`POST /orders/{id}/cooking|ready|cancel`): an operator or the order's store. */
export const mayManageOrder = (p: Principal, order: { storeId: string }): boolean => mayReadStore(p, order.storeId);

/** `GET /batches/{id}`: an operator, the batch's store, or the rider it is assigned to. */
export const mayReadBatch = (p: Principal, batch: { storeId: string; riderId: string | null }): boolean =>
  mayReadStore(p, batch.storeId) || (p.kind === 'rider' && batch.riderId !== null && p.riderId === batch.riderId);

/** `GET /riders/{id}`, `POST /riders/{id}/status`, `POST|GET /riders/{id}/location`: an operator or that rider. */
export const mayActAsRider = (p: Principal, riderId: string): boolean =>
  isOperator(p) || (p.kind === 'rider' && p.riderId === riderId);

/**
 * The store filter a list (`GET /orders`, `GET /batches`) runs with: an operator's own filter (any or none); a store
 * key's store (asking for another store is refused); nobody else lists.
 */
export function listStoreScope(
  p: Principal,
  requested: string | undefined,
): { allowed: true; storeId: string | undefined } | { allowed: false } {
  if (isOperator(p)) return { allowed: true, storeId: requested };
  if (p.kind === 'store' && (requested === undefined || requested === p.storeId))
    return { allowed: true, storeId: p.storeId };
  return { allowed: false };
}

/**
 * The rider a pickup or drop confirmation acts as. A rider token acts as its rider (`rider_id` in the body may repeat
 * it, never name another); an operator must name the rider; nobody else picks up or delivers.
 */
export function courierOf(
  p: Principal,
  bodyRiderId: string | undefined,
): { riderId: string } | { refused: 'forbidden' | 'rider_id_required' } {
  if (p.kind === 'rider')
    return bodyRiderId === undefined || bodyRiderId === p.riderId ? { riderId: p.riderId } : { refused: 'forbidden' };
  if (isOperator(p)) return bodyRiderId === undefined ? { refused: 'rider_id_required' } : { riderId: bodyRiderId };
  return { refused: 'forbidden' };
}

/** WebSocket channels: an operator any; a rider token `rider:{own}`; an order read token `order:{own}`; a store none. */
export function maySubscribe(p: Principal, channel: ParsedChannel): boolean {
  switch (p.kind) {
    case 'operator':
      return true;
    case 'rider':
      return channel.kind === 'rider' && channel.id === p.riderId;
    case 'order':
      return channel.kind === 'order' && channel.id === p.orderId;
    case 'store':
      return false;
  }
}
