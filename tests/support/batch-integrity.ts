import type { Kysely } from 'kysely';
import { expect } from 'vitest';
import type { Database } from '../../internal/db/schema.ts';

/**
 * Asserts that `expectedOrders` orders of `storeId` ended in correct batches: each in exactly one batch, every
 * batch's `order_count` equal to its rows and within capacity. Returns the orders per batch for further checks.
 */
export async function expectConsistentBatches(
  db: Kysely<Database>,
  storeId: string,
  expectedOrders: number,
): Promise<Map<string, number>> {
  const rows = await db
    .selectFrom('batch_orders')
    .innerJoin('batches', 'batches.id', 'batch_orders.batch_id')
    .select(['batch_orders.order_id', 'batch_orders.batch_id', 'batches.order_count', 'batches.capacity'])
    .where('batches.store_id', '=', storeId)
    .execute();
  expect(rows).toHaveLength(expectedOrders);
  expect(new Set(rows.map((r) => r.order_id)).size).toBe(expectedOrders);
  const perBatch = new Map<string, number>();
  for (const r of rows) perBatch.set(r.batch_id, (perBatch.get(r.batch_id) ?? 0) + 1);
  for (const r of rows) {
    expect(r.order_count).toBe(perBatch.get(r.batch_id));
    expect(r.order_count).toBeLessThanOrEqual(r.capacity);
  }
  return perBatch;
}
