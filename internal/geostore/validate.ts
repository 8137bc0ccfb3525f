/**
 * Input checks shared by every GeoStore adapter, so both refuse exactly the same input with the same field names
 * before touching any state.
 */
import { isValidCell } from 'h3-js';
import {
  DEFAULT_RIDER_TTL_MS,
  GeoStoreInputError,
  RIDER_STATUSES,
  type GeoStoreOptions,
  type LatLng,
  type PingRateLimit,
  type RiderPing,
  type RiderPingOf,
  type RiderStatus,
} from './geo-store.ts';

/** Redis GEO stores latitudes only within the Web-Mercator band; we hold the in-memory adapter to the same. */
export const MAX_GEO_LAT = 85.05112878;
export const MAX_ID_LENGTH = 256;
export const MAX_SEARCH_LIMIT = 10_000;

const isId = (value: unknown): value is string =>
  typeof value === 'string' && value.length > 0 && value.length <= MAX_ID_LENGTH;
const invalidId = (field: string) =>
  new GeoStoreInputError(field, `must be a non-empty string of at most ${MAX_ID_LENGTH} characters`);

export function assertId(value: unknown, field: string): asserts value is string {
  if (!isId(value)) throw invalidId(field);
}

export function assertCell(value: unknown, field: string): asserts value is string {
  if (typeof value !== 'string' || !isValidCell(value)) {
    throw new GeoStoreInputError(field, `must be an H3 cell index, got ${JSON.stringify(value)}`);
  }
}

/** A non-empty list of valid cells; duplicates are dropped. */
export function checkCells(cells: unknown, field: string, allowEmpty: boolean): string[] {
  if (!Array.isArray(cells)) throw new GeoStoreInputError(field, 'must be an array of H3 cells');
  if (!allowEmpty && cells.length === 0) throw new GeoStoreInputError(field, 'must not be empty');
  for (const [i, cell] of cells.entries()) assertCell(cell, `${field}[${i}]`);
  return [...new Set(cells as string[])];
}

/**
 * A field name inside a ping: `prefix` prepended, or — when `prefix` is a number i, ping i of a batch — `pings[i].`.
 * Built only for an error: a batch of a thousand pings would otherwise build five names per ping that nobody reads.
 */
type FieldPrefix = string | number;
const fieldName = (prefix: FieldPrefix, field: string): string =>
  typeof prefix === 'string' ? `${prefix}${field}` : `pings[${prefix}].${field}`;

function assertLatLon(lat: unknown, lon: unknown, prefix: FieldPrefix): void {
  if (typeof lat !== 'number' || !Number.isFinite(lat) || Math.abs(lat) > MAX_GEO_LAT) {
    throw new GeoStoreInputError(
      fieldName(prefix, 'lat'),
      `must be a number in [-${MAX_GEO_LAT}, ${MAX_GEO_LAT}], got ${String(lat)}`,
    );
  }
  if (typeof lon !== 'number' || !Number.isFinite(lon) || Math.abs(lon) > 180) {
    throw new GeoStoreInputError(fieldName(prefix, 'lon'), `must be a number in [-180, 180], got ${String(lon)}`);
  }
}

function assertOptional(value: unknown, prefix: FieldPrefix, field: string, min: number, max: number): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new GeoStoreInputError(
      fieldName(prefix, field),
      `must be a number in [${min}, ${max}], got ${String(value)}`,
    );
  }
}

/** Checks a ping; `prefix` is prepended to field names (a number i: `pings[i].`). */
export function assertPing(ping: RiderPing, prefix: FieldPrefix = ''): void {
  if (typeof ping !== 'object' || ping === null) {
    const name = fieldName(prefix, '');
    throw new GeoStoreInputError(name.slice(0, -1) || 'ping', 'must be an object');
  }
  assertLatLon(ping.lat, ping.lon, prefix);
  if (typeof ping.recordedAt !== 'number' || !Number.isFinite(ping.recordedAt) || ping.recordedAt < 0) {
    throw new GeoStoreInputError(
      fieldName(prefix, 'recordedAt'),
      `must be ms since the epoch, got ${String(ping.recordedAt)}`,
    );
  }
  assertOptional(ping.speed, prefix, 'speed', 0, Number.MAX_VALUE);
  assertOptional(ping.heading, prefix, 'heading', 0, 360);
  assertOptional(ping.accuracy, prefix, 'accuracy', 0, Number.MAX_VALUE);
}

export function assertPingBatch(pings: readonly RiderPingOf[]): void {
  if (!Array.isArray(pings)) throw new GeoStoreInputError('pings', 'must be an array');
  for (let i = 0; i < pings.length; i++) {
    const p = pings[i]!;
    if (!isId(p?.riderId)) throw invalidId(`pings[${i}].riderId`);
    assertPing(p, i);
  }
}

export function assertStatus(value: unknown): asserts value is RiderStatus {
  if (!RIDER_STATUSES.includes(value as RiderStatus)) {
    throw new GeoStoreInputError('status', `must be one of ${RIDER_STATUSES.join(', ')}, got ${JSON.stringify(value)}`);
  }
}

export function assertSearch(center: LatLng, radiusM: number, limit: number): void {
  if (typeof center !== 'object' || center === null) throw new GeoStoreInputError('center', 'must be { lat, lon }');
  assertLatLon(center.lat, center.lon, 'center.');
  if (typeof radiusM !== 'number' || !Number.isFinite(radiusM) || radiusM <= 0) {
    throw new GeoStoreInputError('radiusM', `must be a positive number of metres, got ${String(radiusM)}`);
  }
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SEARCH_LIMIT) {
    throw new GeoStoreInputError('limit', `must be an integer in [1, ${MAX_SEARCH_LIMIT}], got ${String(limit)}`);
  }
}

/** The TTL an adapter runs with; a configuration error (RangeError) when it is not a positive integer. */
export function riderTtlOf(options: GeoStoreOptions): number {
  const ttl = options.riderTtlMs ?? DEFAULT_RIDER_TTL_MS;
  if (!Number.isInteger(ttl) || ttl < 1) throw new RangeError(`riderTtlMs must be a positive integer, got ${ttl}`);
  return ttl;
}

/** Refuses a ping limit the algorithm cannot serve (a programming error: RangeError). */
export function assertPingLimit(limit: PingRateLimit | undefined): void {
  if (!limit) return;
  if (!(Number.isFinite(limit.perSecond) && limit.perSecond > 0)) {
    throw new RangeError(`limit.perSecond must be a positive number, got ${limit.perSecond}`);
  }
  if (!(Number.isInteger(limit.burst) && limit.burst >= 1)) {
    throw new RangeError(`limit.burst must be an integer ≥ 1, got ${limit.burst}`);
  }
}
