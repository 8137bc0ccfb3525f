import { haversineM, type LatLng } from '../geo/haversine.ts';
import type { RiderPosition } from '../geostore/geo-store.ts';
import { conflict } from '../platform/errors.ts';
import { roundToDecimetre } from './drop-distance.ts';

/** How old a rider's GPS fix may be, by default, for a drop to be confirmed on it (`DELIVERY_FIX_MAX_AGE_S`). */
export const DEFAULT_FIX_MAX_AGE_MS = 60_000;

/**
 * How far a point the client claims in the confirmation body may lie from the rider's server-recorded fix. Both come
 * from the same phone moments apart, so they normally agree to a few metres of GPS jitter; 30 m (the delivery radius)
 * leaves room for a fix taken a few steps before the button was pressed, while a claim that is not where the rider's
 * own GPS puts it (the 2 km "I am at the door" case) is refused. The claim never decides the distance: the fix does.
 */
export const DELIVERY_CLAIM_TOLERANCE_M = 30;

export interface FixJudgement {
  riderId: string;
  orderId: string;
  /** The rider's current position in the geo store, or null when it has none (never pinged, or it expired). */
  fix: Pick<RiderPosition, 'lat' | 'lon' | 'lastSeenAt'> | null;
  /** The injected clock's now, ms: the fix's age is `nowMs - fix.lastSeenAt`, both on that clock. */
  nowMs: number;
  maxAgeMs: number;
  /** The point the body claims, or null when it sent none. */
  claimed: LatLng | null;
  claimToleranceM: number;
}

/**
 * Decides whether the server's own record of the rider may stand as the evidence of a drop, and answers the point to
 * judge the drop by. Refuses (409) with a slug per reason:
 * - `delivery.no_fix`: the server holds no current fix of the rider — it never posted GPS, or its last fix is older
 *   than the geo store keeps positions (the rider TTL, 60 s by default), which is then as good as none;
 * - `delivery.stale_fix`: there is a fix, but it was received more than `maxAgeMs` ago;
 * - `delivery.claim_disagrees`: the body claims a point more than `claimToleranceM` from that fix.
 *
 * The age is measured from when the server *received* the fix (`lastSeenAt`, the geo store's clock, which is the
 * injected one), never from the device's `recorded_at`, which the client controls.
 */
export function judgeFix(j: FixJudgement): LatLng {
  const maxAgeS = j.maxAgeMs / 1_000;
  if (!j.fix) {
    throw conflict(
      'delivery.no_fix',
      `the server has no GPS fix of rider ${j.riderId} from the last ${maxAgeS} s; post the position first`,
      {
        rider_id: j.riderId,
        order_id: j.orderId,
        max_fix_age_s: maxAgeS,
      },
    );
  }
  const ageMs = j.nowMs - j.fix.lastSeenAt;
  if (ageMs > j.maxAgeMs) {
    const ageS = Math.round(ageMs / 100) / 10;
    throw conflict(
      'delivery.stale_fix',
      `the last GPS fix of rider ${j.riderId} is ${ageS} s old; at most ${maxAgeS} s is accepted`,
      {
        rider_id: j.riderId,
        order_id: j.orderId,
        fix_age_s: ageS,
        max_fix_age_s: maxAgeS,
        fix_received_at: new Date(j.fix.lastSeenAt).toISOString(),
      },
    );
  }
  const fix = { lat: j.fix.lat, lon: j.fix.lon };
  if (j.claimed) {
    const apart = roundToDecimetre(haversineM(j.claimed, fix));
    if (apart > j.claimToleranceM) {
      throw conflict(
        'delivery.claim_disagrees',
        `the claimed position is ${apart} m from the rider's last GPS fix; at most ${j.claimToleranceM} m is accepted`,
        {
          field: 'lat',
          rider_id: j.riderId,
          order_id: j.orderId,
          claim_to_fix_m: apart,
          max_claim_to_fix_m: j.claimToleranceM,
        },
      );
    }
  }
  return fix;
}
