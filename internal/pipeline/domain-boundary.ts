/**
 * The one place where the worker's `{lat, lon}` (LatLng, used by Postgres rows, the Router and the geo store) meets the
 * dispatch domain's `{lat, lng}` (GeoPoint).
 */
import type { GeoPoint } from '../dispatch/types.ts';
import type { LatLng } from '../geo/haversine.ts';

/** LatLng → GeoPoint. */
export const toGeoPoint = (p: LatLng): GeoPoint => ({ lat: p.lat, lng: p.lon });

/** GeoPoint → LatLng. */
export const toLatLng = (p: GeoPoint): LatLng => ({ lat: p.lat, lon: p.lng });
