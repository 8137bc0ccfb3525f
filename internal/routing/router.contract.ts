import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidInputError, type LatLng, type Router } from './router.ts';
import { haversineM } from './straight-line-router.ts';

/**
 * The Router contract: every adapter runs this one suite.
 *
 * The points are in Monaco and are exactly those of the recorded osrm-routed exchanges in ../shared/osrm, so the OSRM
 * adapter runs the suite against real answers replayed byte for byte; an adapter that computes its answers (straight
 * line) simply gets the same questions.
 */
export interface ContractSubject {
  router: Router;
  /** Requests the adapter has sent to its backend so far (0 for an adapter without one). */
  requestCount(): number;
  close(): Promise<void>;
}

const CASINO: LatLng = { lat: 43.7394, lon: 7.4276 };
const FONTVIEILLE: LatLng = { lat: 43.7282, lon: 7.4154 };
const SEA: LatLng = { lat: 43.736, lon: 7.433 }; // in the harbour water
const FIVE: LatLng[] = [
  CASINO,
  { lat: 43.7347, lon: 7.4221 },
  FONTVIEILLE,
  { lat: 43.7467, lon: 7.4353 },
  { lat: 43.7385, lon: 7.4196 },
];
const TWO_SOURCES: LatLng[] = [
  { lat: 43.747584, lon: 7.414834 },
  { lat: 43.735781, lon: 7.430171 },
];
const SIX_DESTINATIONS: LatLng[] = [
  { lat: 43.730192, lon: 7.423735 },
  { lat: 43.727823, lon: 7.428037 },
  { lat: 43.743056, lon: 7.425753 },
  { lat: 43.745385, lon: 7.41953 },
  { lat: 43.741601, lon: 7.426265 },
  { lat: 43.739178, lon: 7.422949 },
];
// prettier-ignore
const TWENTY_FIVE: LatLng[] = [
  [7.41562, 43.7338],
  [7.413738, 43.74067],
  [7.420777, 43.738254],
  [7.424178, 43.728218],
  [7.422407, 43.727787],
  [7.414177, 43.728467],
  [7.431844, 43.735915],
  [7.417358, 43.7296],
  [7.434745, 43.740176],
  [7.42152, 43.739119],
  [7.413118, 43.747501],
  [7.418951, 43.745028],
  [7.414827, 43.730029],
  [7.431587, 43.733478],
  [7.425958, 43.730795],
  [7.420938, 43.740417],
  [7.413507, 43.738503],
  [7.416943, 43.728252],
  [7.422262, 43.741288],
  [7.426053, 43.733597],
  [7.419194, 43.736517],
  [7.428776, 43.743682],
  [7.425786, 43.732126],
  [7.433003, 43.738029],
  [7.418911, 43.742318],
].map(([lon, lat]) => ({ lat: lat!, lon: lon! }));

/** How far a road-network adapter may move one of these inputs onto a road (the farthest here snaps ~99 m). */
const SNAP_TOLERANCE_M = 100;
/** Route ends are checked tighter: both route endpoints lie within 30 m of a road. */
const ROUTE_END_TOLERANCE_M = 50;

const at = ([lon, lat]: readonly [number, number]): LatLng => ({ lat, lon });

function expectSquareWithZeroDiagonal(matrix: ReadonlyArray<ReadonlyArray<number | null>>, n: number): void {
  expect(matrix).toHaveLength(n);
  matrix.forEach((row, i) => {
    expect(row).toHaveLength(n);
    expect(row[i]).toBe(0);
  });
}

/** Runs the Router contract against the subject `makeSubject` builds (once for the whole suite). */
export function routerContract(name: string, makeSubject: () => Promise<ContractSubject>): void {
  describe(`Router contract: ${name}`, () => {
    let subject: ContractSubject;
    let router: Router;
    beforeAll(async () => {
      subject = await makeSubject();
      router = subject.router;
    });
    afterAll(async () => {
      await subject?.close();
    });

    it('routes between two points with positive distance and duration, no shorter than the straight line', async () => {
      const r = await router.route(CASINO, FONTVIEILLE);
      expect(r.distanceM).toBeGreaterThan(0);
      expect(r.durationS).toBeGreaterThan(0);
      expect(r.distanceM).toBeGreaterThanOrEqual(haversineM(CASINO, FONTVIEILLE) - 2 * ROUTE_END_TOLERANCE_M);
    });

    it('returns a GeoJSON LineString that starts near `from` and ends near `to`', async () => {
      const { geometry } = await router.route(CASINO, FONTVIEILLE);
      expect(geometry.type).toBe('LineString');
      expect(geometry.coordinates.length).toBeGreaterThanOrEqual(2);
      for (const [lon, lat] of geometry.coordinates) {
        expect(Math.abs(lon)).toBeLessThanOrEqual(180);
        expect(Math.abs(lat)).toBeLessThanOrEqual(90);
      }
      expect(haversineM(at(geometry.coordinates[0]!), CASINO)).toBeLessThan(ROUTE_END_TOLERANCE_M);
      expect(haversineM(at(geometry.coordinates.at(-1)!), FONTVIEILLE)).toBeLessThan(ROUTE_END_TOLERANCE_M);
    });

    it('gives a zero-length, zero-duration route from a point to itself', async () => {
      const r = await router.route(CASINO, { ...CASINO });
      expect(r.distanceM).toBe(0);
      expect(r.durationS).toBe(0);
      expect(r.geometry.coordinates.length).toBeGreaterThanOrEqual(2);
      for (const position of r.geometry.coordinates) {
        expect(haversineM(at(position), CASINO)).toBeLessThan(ROUTE_END_TOLERANCE_M);
      }
    });

    it('answers symmetric inputs (sources = destinations) with a square table, 0 on the diagonal, every direction positive', async () => {
      const t = await router.table(FIVE, FIVE);
      expectSquareWithZeroDiagonal(t.durationsS, FIVE.length);
      expectSquareWithZeroDiagonal(t.distancesM, FIVE.length);
      for (let i = 0; i < FIVE.length; i++) {
        for (let j = 0; j < FIVE.length; j++) {
          if (i === j) continue;
          // Both directions of every pair are answered, and neither beats the straight line between the inputs.
          expect(t.durationsS[i]![j]).toBeGreaterThan(0);
          expect(t.distancesM[i]![j]).toBeGreaterThanOrEqual(haversineM(FIVE[i]!, FIVE[j]!) - 2 * SNAP_TOLERANCE_M);
        }
      }
    });

    it('agrees between route and table for the same pair', async () => {
      const r = await router.route(CASINO, FONTVIEILLE);
      const t = await router.table(FIVE, FIVE);
      expect(t.distancesM[0]![2]).toBeCloseTo(r.distanceM, 0);
      expect(t.durationsS[0]![2]).toBeCloseTo(r.durationS, 0);
    });

    it('answers sources × destinations with one row per source and one column per destination', async () => {
      const t = await router.table(TWO_SOURCES, SIX_DESTINATIONS);
      for (const matrix of [t.durationsS, t.distancesM]) {
        expect(matrix).toHaveLength(TWO_SOURCES.length);
        for (const row of matrix) {
          expect(row).toHaveLength(SIX_DESTINATIONS.length);
          for (const cell of row) expect(cell).toBeGreaterThan(0);
        }
      }
    });

    it('answers a 25×25 table: 0 diagonal, positive durations and distances elsewhere', async () => {
      const t = await router.table(TWENTY_FIVE, TWENTY_FIVE);
      expectSquareWithZeroDiagonal(t.durationsS, 25);
      expectSquareWithZeroDiagonal(t.distancesM, 25);
      for (const [i, row] of t.durationsS.entries()) {
        for (const [j, cell] of row.entries()) {
          if (i !== j) expect(cell).toBeGreaterThan(0);
          if (i !== j) expect(t.distancesM[i]![j]).toBeGreaterThan(0);
        }
      }
    });

    it('snaps a point to the network and reports the snap distance', async () => {
      for (const input of [CASINO, SEA]) {
        const n = await router.nearest(input);
        expect(n.distanceM).toBeGreaterThanOrEqual(0);
        expect(n.distanceM).toBeLessThan(2 * SNAP_TOLERANCE_M);
        // The reported distance is the distance between the input and the returned point.
        expect(Math.abs(haversineM(input, n.point) - n.distanceM)).toBeLessThan(1);
      }
    });

    it('finds a drop near the roads reachable from a store', async () => {
      expect(await router.reachability(FONTVIEILLE, CASINO)).toEqual({ reachable: true });
    });

    const invalid: Array<[string, (r: Router) => Promise<unknown>, string]> = [
      ['latitude above 90', (r) => r.route({ lat: 95, lon: 7.4276 }, FONTVIEILLE), 'from.lat'],
      ['latitude below -90', (r) => r.nearest({ lat: -90.5, lon: 7.4 }), 'point.lat'],
      ['longitude above 180', (r) => r.route(CASINO, { lat: 43.7, lon: 180.01 }), 'to.lon'],
      ['NaN', (r) => r.route(CASINO, { lat: Number.NaN, lon: 7.4 }), 'to.lat'],
      ['Infinity', (r) => r.nearest({ lat: 43.7, lon: Number.POSITIVE_INFINITY }), 'point.lon'],
      ['a string', (r) => r.route({ lat: '43.7' as unknown as number, lon: 7.4 }, CASINO), 'from.lat'],
      ['a missing point', (r) => r.route(null as unknown as LatLng, CASINO), 'from'],
      ['a bad table source', (r) => r.table([CASINO, { lat: 43.7, lon: -181 }], FIVE), 'sources[1].lon'],
      ['a bad table destination', (r) => r.table(FIVE, [CASINO, CASINO, { lat: 91, lon: 0 }]), 'destinations[2].lat'],
      ['no destinations', (r) => r.table(FIVE, []), 'destinations'],
      ['a bad reachability end', (r) => r.reachability(CASINO, { lat: 43.7, lon: Number.NaN }), 'to.lon'],
    ];
    it.each(invalid)(
      'rejects %s with InvalidInputError naming the field, before any request',
      async (_, call, field) => {
        const before = subject.requestCount();
        const error = await call(router).then(
          () => undefined,
          (err: unknown) => err,
        );
        expect(error).toBeInstanceOf(InvalidInputError);
        expect((error as InvalidInputError).field).toBe(field);
        expect((error as InvalidInputError).slug).toBe('routing.invalid_input');
        expect(subject.requestCount()).toBe(before);
      },
    );
  });
}
