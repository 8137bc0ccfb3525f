import { haversineM, type LatLng } from '../geo/haversine.ts';

/** A drop counts as delivered when the rider stands at most this far from the customer's drop point. */
export const DELIVERY_RADIUS_M = 30;

export interface DropDistanceCheck {
  /** Metres (haversine) between the rider's position and the drop. */
  distanceM: number;
  /** `distanceM` to the 0.1 m the API shows in answers and messages. */
  shownM: number;
  /** True when the rider is close enough: `shownM <= radiusM`. */
  accepted: boolean;
}

/**
 * The one distance rule of a drop confirmation. The limit is inclusive and applied to the distance as shown (0.1 m),
 * so an answer never says "30 m … at most 30 m is accepted" while refusing: 29.9 and 30.0 m pass, 30.1 m does not.
 * Where the rider's position comes from is the caller's business (today the request body; a server-side GPS fix
 * can be passed the same way).
 */
export function checkDropDistance(rider: LatLng, drop: LatLng, radiusM: number = DELIVERY_RADIUS_M): DropDistanceCheck {
  const distanceM = haversineM(rider, drop);
  const shownM = roundToDecimetre(distanceM);
  return { distanceM, shownM, accepted: shownM <= radiusM };
}

/** Metres to one decimal, as every delivery answer shows them. */
export function roundToDecimetre(metres: number): number {
  return Math.round(metres * 10) / 10;
}
