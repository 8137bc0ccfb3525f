import { describe, expect, it } from 'vitest';
import {
  assertLatLng,
  assertLatLngList,
  InvalidInputError,
  isPermanentRoutingError,
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

describe('permanent and transient routing errors', () => {
  it('marks answers permanent and "could not answer" transient', () => {
    expect(isPermanentRoutingError(new NoRouteError('x'))).toBe(true);
    expect(isPermanentRoutingError(new NoSegmentError('to', 'far'))).toBe(true);
    expect(isPermanentRoutingError(new InvalidInputError('from.lat', 'bad'))).toBe(true);
    expect(isPermanentRoutingError(new RoutingUnavailableError('down'))).toBe(false);
    expect(isPermanentRoutingError(new RoutingUnavailableError('open', { circuitOpen: true }))).toBe(false);
    expect(isPermanentRoutingError(new Error('other'))).toBe(false);
    // The event-bus middleware reads the flag without knowing routing.
    expect(new NoSegmentError('to', 'far')).toMatchObject({ permanent: true });
  });

  it('tells an outage from an unusable answer, and carries the snap facts of a point off the roads', () => {
    expect(new RoutingUnavailableError('down').outage).toBe(true);
    expect(new RoutingUnavailableError('odd body', { outage: false }).outage).toBe(false);
    const far = new NoSegmentError('to', 'nearest road is 1104 m away', {
      point: { lat: 1, lon: 2 },
      snapDistanceM: 1104.076,
      maxSnapDistanceM: 1000,
    });
    expect(far).toMatchObject({ point: { lat: 1, lon: 2 }, snapDistanceM: 1104.076, maxSnapDistanceM: 1000 });
    expect(far.details).toEqual({ field: 'to', snap_distance_m: 1104.1, max_snap_distance_m: 1000 });
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
    expect(() =>
      assertLatLngList(
        [
          { lat: 0, lon: 0 },
          { lat: 0, lon: Number.NaN },
        ],
        'sources',
      ),
    ).toThrow('sources[1].lon');
    expect(() => assertLatLngList([], 'sources')).toThrow('sources: must be a non-empty array');
    expect(() => assertLatLngList('x', 'destinations')).toThrow(InvalidInputError);
  });
});
