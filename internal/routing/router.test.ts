import { describe, expect, it } from 'vitest';
import {
  assertLatLng,
  assertLatLngList,
  InvalidInputError,
  NoRouteError,
  NoSegmentError,
  RoutingError,
  RoutingUnavailableError,
} from './router.ts';

describe('routing errors', () => {
  it('carry stable slugs, names and the offending field', () => {
    const cases: Array<[RoutingError, string, string]> = [
      [new NoRouteError('x'), 'routing.no_route', 'NoRouteError'],
      [new NoSegmentError('to', 'far'), 'routing.no_segment', 'NoSegmentError'],
      [new InvalidInputError('from.lat', 'bad'), 'routing.invalid_input', 'InvalidInputError'],
      [new RoutingUnavailableError('down'), 'routing.unavailable', 'RoutingUnavailableError'],
    ];
    for (const [err, slug, name] of cases) {
      expect(err).toBeInstanceOf(RoutingError);
      expect(err).toBeInstanceOf(Error);
      expect(err.slug).toBe(slug);
      expect(err.name).toBe(name);
    }
    expect(new InvalidInputError('from.lat', 'bad').message).toBe('from.lat: bad');
    expect(new RoutingUnavailableError('down').circuitOpen).toBe(false);
    expect(new RoutingUnavailableError('open', { circuitOpen: true, cause: 1 })).toMatchObject({ circuitOpen: true });
  });
});

describe('coordinate validation', () => {
  it('accepts the boundaries and rejects just beyond them', () => {
    for (const p of [
      { lat: 90, lon: 180 },
      { lat: -90, lon: -180 },
      { lat: 0, lon: 0 },
    ]) {
      expect(() => assertLatLng(p, 'p')).not.toThrow();
    }
    expect(() => assertLatLng({ lat: 90.000001, lon: 0 }, 'p')).toThrow('p.lat: must be a finite number in [-90, 90]');
    expect(() => assertLatLng({ lat: 0, lon: -180.000001 }, 'p')).toThrow('p.lon');
    expect(() => assertLatLng({ lat: 0 }, 'p')).toThrow('p.lon');
    expect(() => assertLatLng(undefined, 'p')).toThrow('p: must be an object');
  });

  it('names the element of a list and refuses empty or non-array lists', () => {
    expect(() => assertLatLngList([{ lat: 0, lon: 0 }, { lat: 0, lon: Number.NaN }], 'sources')).toThrow('sources[1].lon');
    expect(() => assertLatLngList([], 'sources')).toThrow('sources: must be a non-empty array');
    expect(() => assertLatLngList('x', 'destinations')).toThrow(InvalidInputError);
  });
});
