import type { RiderStatus } from '../db/schema.ts';

/**
 * Rider statuses in Postgres (the truth; the geo store mirrors availability):
 *
 *   offline ⇄ idle        the rider goes on / off shift (POST /riders/{id}/status)
 *   idle → assigned       dispatch gives it a batch (the worker)
 *   assigned → delivering it picked the batch up (POST /batches/{id}/pickup)
 *   delivering → idle     its last drop was confirmed (POST /batches/{id}/confirm-delivery)
 *   assigned → idle       it went silent before picking its batch up; the batch went back to dispatch (the worker's
 *                         silent-rider loop). Idle, not offline: it is dispatched again only once its pings resume.
 *
 * A rider carrying a batch (assigned, delivering) cannot go off shift or be declared idle by hand: the batch
 * would be orphaned, so the API answers 409 `rider.illegal_transition`.
 */
export type ShiftStatus = 'idle' | 'offline';

export type RiderTransition = 'pick_up' | 'finish' | 'assign' | 'release';

/**
 * What a shift change (`wanted`) does to a rider in `current`: `change` applies it, `same` is a repeat that changes
 * nothing (answered 200, so a client may retry), `illegal` is refused.
 */
export function shiftChange(current: RiderStatus, wanted: ShiftStatus): 'change' | 'same' | 'illegal' {
  if (current === wanted) return 'same';
  if (current === 'assigned' || current === 'delivering') return 'illegal';
  return 'change';
}

const DISPATCH: Record<RiderTransition, { from: RiderStatus; to: RiderStatus }> = {
  assign: { from: 'idle', to: 'assigned' },
  pick_up: { from: 'assigned', to: 'delivering' },
  finish: { from: 'delivering', to: 'idle' },
  release: { from: 'assigned', to: 'idle' },
};

/** The status a dispatch step leads to from `current`, or null when the rider is not in the step's start state. */
export function nextRiderStatus(current: RiderStatus, step: RiderTransition): RiderStatus | null {
  const t = DISPATCH[step];
  return current === t.from ? t.to : null;
}
