/**
 * Sealing: a batch stops accepting orders when it is full, when its wait window has closed, or when waiting longer
 * would leave too little time for a rider to reach it before the food is ready / before the latest departure.
 */
import type { DispatchParams } from './params.ts';
import type { Batch, SealReason } from './types.ts';

const S = 1000;

/** Why `batch` must seal at `now`, or null if it may stay open. */
export function sealReasonAt(batch: Batch, now: number, params: DispatchParams): SealReason | null {
  if (batch.status !== 'open') return null;
  if (batch.orders.length >= params.batchCapacity) return 'full';
  const deadline = Math.min(batch.readyAt, batch.latestDepartureAt) - params.sealLeadSeconds * S;
  if (now >= deadline) return 'deadline';
  if (now >= batch.openedAt + params.waitWindowSeconds * S) return 'window';
  return null;
}

/** Seals every due batch in place; returns the ones sealed now. */
export function sealDue(batches: Iterable<Batch>, now: number, params: DispatchParams): Batch[] {
  const sealed: Batch[] = [];
  for (const batch of batches) {
    const reason = sealReasonAt(batch, now, params);
    if (reason === null) continue;
    batch.status = 'sealed';
    batch.sealedAt = now;
    batch.sealReason = reason;
    sealed.push(batch);
  }
  return sealed;
}
