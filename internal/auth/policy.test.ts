import { describe, expect, it } from 'vitest';
import {
  courierOf,
  isOperator,
  listStoreScope,
  mayActAsRider,
  mayManageOrder,
  mayPlaceOrder,
  mayReadBatch,
  mayReadOrder,
  mayReadStore,
  maySubscribe,
} from './policy.ts';
import { OPERATOR, type Principal } from './principal.ts';

const S1 = 'store-1';
const S2 = 'store-2';
const R1 = 'rider-1';
const R2 = 'rider-2';
const O1 = 'order-1';
const store: Principal = { kind: 'store', storeId: S1 };
const rider: Principal = { kind: 'rider', riderId: R1 };
const order: Principal = { kind: 'order', orderId: O1 };

describe('auth policy', () => {
  it('lets an operator do everything', () => {
    expect(isOperator(OPERATOR)).toBe(true);
    expect(mayReadStore(OPERATOR, S2)).toBe(true);
    expect(mayPlaceOrder(OPERATOR, S2)).toBe(true);
    expect(mayReadOrder(OPERATOR, { id: O1, storeId: S2 })).toBe(true);
    expect(mayManageOrder(OPERATOR, { storeId: S2 })).toBe(true);
    expect(mayReadBatch(OPERATOR, { storeId: S2, riderId: null })).toBe(true);
    expect(mayActAsRider(OPERATOR, R2)).toBe(true);
    expect(listStoreScope(OPERATOR, undefined)).toEqual({ allowed: true, storeId: undefined });
    expect(listStoreScope(OPERATOR, S2)).toEqual({ allowed: true, storeId: S2 });
    expect(maySubscribe(OPERATOR, { kind: 'map' })).toBe(true);
    expect(maySubscribe(OPERATOR, { kind: 'order', id: O1 })).toBe(true);
  });

  it('keeps a store key to its own store', () => {
    expect(isOperator(store)).toBe(false);
    expect(mayReadStore(store, S1)).toBe(true);
    expect(mayReadStore(store, S2)).toBe(false);
    expect(mayPlaceOrder(store, S1)).toBe(true);
    expect(mayPlaceOrder(store, S2)).toBe(false);
    expect(mayReadOrder(store, { id: O1, storeId: S1 })).toBe(true);
    expect(mayReadOrder(store, { id: O1, storeId: S2 })).toBe(false);
    expect(mayManageOrder(store, { storeId: S1 })).toBe(true);
    expect(mayManageOrder(store, { storeId: S2 })).toBe(false);
    expect(mayReadBatch(store, { storeId: S1, riderId: R1 })).toBe(true);
    expect(mayReadBatch(store, { storeId: S2, riderId: R1 })).toBe(false);
    expect(mayActAsRider(store, R1)).toBe(false);
    // Lists are forced to its store; naming another store is refused.
    expect(listStoreScope(store, undefined)).toEqual({ allowed: true, storeId: S1 });
    expect(listStoreScope(store, S1)).toEqual({ allowed: true, storeId: S1 });
    expect(listStoreScope(store, S2)).toEqual({ allowed: false });
    expect(courierOf(store, R1)).toEqual({ refused: 'forbidden' });
    expect(maySubscribe(store, { kind: 'map' })).toBe(false);
    expect(maySubscribe(store, { kind: 'order', id: O1 })).toBe(false);
  });

  it('keeps a rider token to its rider and its batches', () => {
    expect(mayActAsRider(rider, R1)).toBe(true);
    expect(mayActAsRider(rider, R2)).toBe(false);
    expect(mayReadBatch(rider, { storeId: S1, riderId: R1 })).toBe(true);
    expect(mayReadBatch(rider, { storeId: S1, riderId: R2 })).toBe(false);
    expect(mayReadBatch(rider, { storeId: S1, riderId: null })).toBe(false);
    expect(mayReadStore(rider, S1)).toBe(false);
    expect(mayReadOrder(rider, { id: O1, storeId: S1 })).toBe(false);
    expect(listStoreScope(rider, undefined)).toEqual({ allowed: false });
    expect(maySubscribe(rider, { kind: 'rider', id: R1 })).toBe(true);
    expect(maySubscribe(rider, { kind: 'rider', id: R2 })).toBe(false);
    expect(maySubscribe(rider, { kind: 'map' })).toBe(false);
    expect(maySubscribe(rider, { kind: 'batch', id: 'b' })).toBe(false);
  });

  it('acts as the token’s rider on pickup and delivery; an operator names the rider', () => {
    expect(courierOf(rider, undefined)).toEqual({ riderId: R1 });
    expect(courierOf(rider, R1)).toEqual({ riderId: R1 });
    expect(courierOf(rider, R2)).toEqual({ refused: 'forbidden' });
    expect(courierOf(OPERATOR, R2)).toEqual({ riderId: R2 });
    expect(courierOf(OPERATOR, undefined)).toEqual({ refused: 'rider_id_required' });
    expect(courierOf(order, O1)).toEqual({ refused: 'forbidden' });
  });

  it('lets an order read token read its order and follow its channel, nothing else', () => {
    expect(mayReadOrder(order, { id: O1, storeId: S1 })).toBe(true);
    expect(mayReadOrder(order, { id: 'order-2', storeId: S1 })).toBe(false);
    expect(mayManageOrder(order, { storeId: S1 })).toBe(false);
    expect(mayPlaceOrder(order, S1)).toBe(false);
    expect(mayActAsRider(order, R1)).toBe(false);
    expect(maySubscribe(order, { kind: 'order', id: O1 })).toBe(true);
    expect(maySubscribe(order, { kind: 'order', id: 'order-2' })).toBe(false);
    expect(maySubscribe(order, { kind: 'rider', id: R1 })).toBe(false);
    expect(maySubscribe(order, { kind: 'map-cell', cell: 'x' })).toBe(false);
  });
});
