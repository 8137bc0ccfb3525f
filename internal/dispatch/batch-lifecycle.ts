import type { BatchStatus } from '../db/schema.ts';

/**
 * The batch lifecycle as one table (the `batches.status` column):
 *
 *   event \ from | open      | sealed    | assigned  | picked_up | delivered | cancelled
 *   -------------+-----------+-----------+-----------+-----------+-----------+----------
 *   seal         | sealed    | -         | -         | -         | -         | -
 *   assign       | -         | assigned  | -         | -         | -         | -
 *   merge        | cancelled | cancelled | -         | -         | -         | -
 *   pick_up      | -         | -         | picked_up | -         | -         | -
 *   deliver      | -         | -         | -         | delivered | -         | -
 *   cancel       | cancelled | -         | -         | -         | -         | -
 *   release      | -         | -         | sealed    | -         | -         | -
 *
 *   seal/assign/merge are the dispatcher's (dispatch-round.ts, applied by the worker); `merge` retires a batch whose
 *   orders another batch absorbed under rider scarcity. pick_up/deliver are the rider's (the API); cancel is the last
 *   order of an open batch being cancelled. `release` gives a batch whose rider went silent before picking it up
 *   back to dispatch (the worker's silent-rider loop, internal/pipeline/silent-riders.ts); a picked-up batch is never
 *   released — the food is with the rider.
 */
export type BatchEvent = 'seal' | 'assign' | 'merge' | 'pick_up' | 'deliver' | 'cancel' | 'release';

const TABLE: Record<BatchEvent, Partial<Record<BatchStatus, BatchStatus>>> = {
  seal: { open: 'sealed' },
  assign: { sealed: 'assigned' },
  merge: { open: 'cancelled', sealed: 'cancelled' },
  pick_up: { assigned: 'picked_up' },
  deliver: { picked_up: 'delivered' },
  cancel: { open: 'cancelled' },
  release: { assigned: 'sealed' },
};

/** The status `event` leads to from `current`; null when the event is illegal there. */
export function nextBatchStatus(current: BatchStatus, event: BatchEvent): BatchStatus | null {
  return TABLE[event][current] ?? null;
}
