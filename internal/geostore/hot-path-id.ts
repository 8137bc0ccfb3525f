/**
 * Hot-path ids: a path template is the route from a store to an H3 cell, so its id is derived from exactly those two.
 * Every worker that provisions the same (store, cell) computes the same id, which makes provisioning idempotent.
 */
import { createHash } from 'node:crypto';

/**
 * The id of the hot path from `storeId` to `targetCell`: 24 hex digits (96 bits) of SHA-256 over both, separated by a
 * NUL so (`ab`, `c`) and (`a`, `bc`) cannot collide.
 */
export function hotPathId(storeId: string, targetCell: string): string {
  return createHash('sha256').update(storeId).update('\u0000').update(targetCell).digest('hex').slice(0, 24);
}
