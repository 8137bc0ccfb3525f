import { expect } from 'vitest';
import { offset } from '../../internal/pipeline/test-fixtures.ts';
import type { ApiAnswer, DispatchStack } from './dispatch-stack.ts';

/**
 * Through the API of `stack`: a store at `at`, an idle rider a little way off (`riderOffsetM`: metres north, east) and one
 * order of that store with a drop `dropOffsetM` away; each creation must answer 201. The order is left `placed`.
 */
export async function seedStoreRiderOrder(
  stack: DispatchStack,
  options: {
    at: { lat: number; lon: number };
    name: string;
    item: string;
    riderOffsetM: readonly [number, number];
    dropOffsetM: readonly [number, number];
  },
): Promise<{ store: ApiAnswer; rider: ApiAnswer; orderId: string }> {
  const { at } = options;
  const store = await stack.api('POST', '/stores', { name: `${options.name} Kitchen`, ...at });
  expect(store.status, JSON.stringify(store.body)).toBe(201);
  const rider = await stack.api('POST', '/riders', {
    name: `${options.name.toLowerCase()} rider`,
    status: 'idle',
    ...offset(at, ...options.riderOffsetM),
  });
  expect(rider.status, JSON.stringify(rider.body)).toBe(201);
  const order = await stack.api('POST', '/orders', {
    store_id: store.body.id,
    drop: offset(at, ...options.dropOffsetM),
    items: [{ name: options.item, qty: 1 }],
    prep_minutes: 10,
  });
  expect(order.status, JSON.stringify(order.body)).toBe(201);
  return { store, rider, orderId: order.body.id as string };
}
