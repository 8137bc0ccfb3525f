/**
 * The MDRPLIB rules, in minutes and metres: travel time = ceil(euclidean metres / meters_per_minute); service time is
 * split in halves around the hand-over (pickup = max(ready, arrival + half), leave half later; drop-off = arrival + half,
 * leave half later). Coordinates are projected to latitude/longitude around a fixed anchor so the H3 index works
 * unchanged, and the TravelTime adapter inverts the projection exactly.
 */
import type { ServiceTimes } from '../dispatch/params.ts';
import type { TravelTime } from '../dispatch/travel-time.ts';
import type { GeoPoint } from '../dispatch/types.ts';
import type { MdrpParameters, PlanePoint } from './instance.ts';

/** Straight-line metres between two plane points. */
export function euclideanMeters(a: PlanePoint, b: PlanePoint): number {
  return Math.hypot(a.x - b.x, a.y - b.y);
}

/** MDRPLIB travel time in whole minutes. */
export function travelMinutes(a: PlanePoint, b: PlanePoint, metersPerMinute: number): number {
  return Math.ceil(euclideanMeters(a, b) / metersPerMinute);
}

/** Pickup time for a courier arriving at `arrival` for food ready at `ready` (minutes). */
export function pickupMinute(arrival: number, ready: number, pickupServiceMinutes: number): number {
  return Math.max(ready, arrival + pickupServiceMinutes / 2);
}

/** Drop-off (hand-over) time for a courier arriving at `arrival` (minutes). */
export function dropoffMinute(arrival: number, dropoffServiceMinutes: number): number {
  return arrival + dropoffServiceMinutes / 2;
}

/** When a courier may leave after a hand-over at `handover` (minutes). */
export function leaveMinute(handover: number, serviceMinutes: number): number {
  return handover + serviceMinutes / 2;
}

/** The instance's service rules in the dispatcher's units. */
export function serviceTimesOf(p: MdrpParameters): ServiceTimes {
  return {
    pickupBeforeSeconds: (p.pickupServiceMinutes / 2) * 60,
    pickupAfterSeconds: (p.pickupServiceMinutes / 2) * 60,
    dropBeforeSeconds: (p.dropoffServiceMinutes / 2) * 60,
    dropAfterSeconds: (p.dropoffServiceMinutes / 2) * 60,
  };
}

/** Fixed anchor of the plane (Manhattan); any mid-latitude point works. */
export const ANCHOR: GeoPoint = { lat: 40.7128, lon: -74.006 };
const METERS_PER_DEGREE_LAT = 111_320;
const METERS_PER_DEGREE_LNG = METERS_PER_DEGREE_LAT * Math.cos((ANCHOR.lat * Math.PI) / 180);

/** Plane metres → latitude/longitude (equirectangular around the anchor). */
export function toGeo(p: PlanePoint): GeoPoint {
  return { lat: ANCHOR.lat + p.y / METERS_PER_DEGREE_LAT, lon: ANCHOR.lon + p.x / METERS_PER_DEGREE_LNG };
}

/** Inverse of `toGeo`; rounds to the micrometre so integer instance coordinates come back exactly. */
export function toPlane(g: GeoPoint): PlanePoint {
  const round = (v: number) => Math.round(v * 1e6) / 1e6;
  return {
    x: round((g.lon - ANCHOR.lon) * METERS_PER_DEGREE_LNG),
    y: round((g.lat - ANCHOR.lat) * METERS_PER_DEGREE_LAT),
  };
}

/** TravelTime adapter with the instance's rule (durations are whole minutes, in seconds). */
export function mdrpTravelTime(metersPerMinute: number): TravelTime {
  // Inlined inverse projection: this runs millions of times per replay.
  const meters = (a: GeoPoint, b: GeoPoint) => {
    const dx =
      (Math.round((a.lon - ANCHOR.lon) * METERS_PER_DEGREE_LNG * 1e6) -
        Math.round((b.lon - ANCHOR.lon) * METERS_PER_DEGREE_LNG * 1e6)) /
      1e6;
    const dy =
      (Math.round((a.lat - ANCHOR.lat) * METERS_PER_DEGREE_LAT * 1e6) -
        Math.round((b.lat - ANCHOR.lat) * METERS_PER_DEGREE_LAT * 1e6)) /
      1e6;
    return Math.hypot(dx, dy);
  };
  return {
    distanceMeters: meters,
    durationSeconds: (a, b) => Math.ceil(meters(a, b) / metersPerMinute) * 60,
  };
}
