import { latLngToCell } from 'h3-js';
import { afterEach, describe, expect, it } from 'vitest';
import { corridorCells, type LineStringLike } from '../geo/corridor.ts';
import { haversineM, type LatLng } from '../geo/haversine.ts';
import { ManualClock, type Clock } from '../platform/clock.ts';
import {
  GeoStoreClosedError,
  GeoStoreInputError,
  type GeoStore,
  type PingRateLimit,
  type RiderPing,
} from './geo-store.ts';
import { hotPathId } from './hot-path-id.ts';

export interface GeoStoreFixture {
  store: GeoStore;
  /** Releases what the factory created (connections, keys). */
  dispose?: () => Promise<void>;
}

/** What the contract asks of a factory: a store isolated from every other (own key prefix) on this clock and TTL. */
export interface GeoStoreFactoryOptions {
  clock: Clock;
  riderTtlMs: number;
}

/** Virtual "now" at the start of every test. */
const T0 = 1_750_000_000_000;
/**
 * The contract's TTL, in the store clock's (virtual) time. Long in real time on purpose: the Redis adapter's PEXPIRE
 * (real server time) must not collect a position while a test still expects it.
 */
const TTL = 60_000;

const CENTRE: LatLng = { lat: 12.9716, lon: 77.5946 };

/** A point `northM` metres north and `eastM` east of `from` (local flat approximation, fine below ~10 km). */
function offset(from: LatLng, northM: number, eastM: number): LatLng {
  const mPerDegLat = 111_195;
  return {
    lat: from.lat + northM / mPerDegLat,
    lon: from.lon + eastM / (mPerDegLat * Math.cos((from.lat * Math.PI) / 180)),
  };
}

const at = (point: LatLng, recordedAt: number, extra: Partial<RiderPing> = {}): RiderPing => ({
  ...point,
  recordedAt,
  ...extra,
});

/** The field a rejected call named; fails when the call did not reject with GeoStoreInputError. */
async function rejectedField(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GeoStoreInputError);
  return (error as GeoStoreInputError).field;
}

/**
 * THE GeoStore contract (see geo-store.ts), run against every adapter. Expiry is driven by a `ManualClock` the suite
 * passes to the factory, so the same test advances virtual time for both adapters.
 *
 * @param makeStore builds a store isolated from other suites and tests, on the given clock and TTL.
 */
export function geoStoreContract(
  name: string,
  makeStore: (options: GeoStoreFactoryOptions) => Promise<GeoStoreFixture>,
): void {
  describe(`GeoStore contract: ${name}`, () => {
    const disposers: Array<() => Promise<void>> = [];
    afterEach(async () => {
      await Promise.all(disposers.splice(0).map((dispose) => dispose()));
    });
    const setup = async (): Promise<{ store: GeoStore; clock: ManualClock }> => {
      const clock = new ManualClock(T0);
      const made = await makeStore({ clock, riderTtlMs: TTL });
      if (made.dispose) disposers.push(made.dispose);
      return { store: made.store, clock };
    };

    describe('hot-path index', () => {
      // A 3 km route east then north from a store; the path targets the cell at its end.
      const store = CENTRE;
      const corner = offset(CENTRE, 0, 2_000);
      const target = offset(CENTRE, 1_000, 2_000);
      const route: LineStringLike = {
        type: 'LineString',
        coordinates: [store, corner, target].map((p) => [p.lon, p.lat] as [number, number]),
      };
      const targetCell = latLngToCell(target.lat, target.lon, 9);
      const farCell = latLngToCell(CENTRE.lat + 0.5, CENTRE.lon, 9);

      it('lists a path for every cell of its corridor, so an order beside the road matches too', async () => {
        const { store: s } = await setup();
        const cells = corridorCells(route, { resolution: 9, corridorK: 2 });
        const pathId = hotPathId('store-1', targetCell);
        await s.indexPath(pathId, cells);

        for (const cell of cells) expect(await s.pathsForCell(cell)).toEqual([pathId]);
        expect(await s.pathsForCell(farCell)).toEqual([]);
        expect(await s.cellsOfPath(pathId)).toEqual([...cells].sort());
        // A drop 250 m north of the first leg, not on the centre line.
        const beside = offset(CENTRE, 250, 1_000);
        expect(await s.pathsForCell(latLngToCell(beside.lat, beside.lon, 9))).toEqual([pathId]);
      });

      it('answers every path that shares a cell, sorted', async () => {
        const { store: s } = await setup();
        const a = corridorCells(route, { resolution: 9 });
        const shared = a[Math.floor(a.length / 2)]!;
        await s.indexPath('path-b', [shared, farCell]);
        await s.indexPath('path-a', a);
        expect(await s.pathsForCell(shared)).toEqual(['path-a', 'path-b']);
        expect(await s.pathsForCell(farCell)).toEqual(['path-b']);
        expect(await s.pathsForCell(a[0]!)).toEqual(['path-a']);
      });

      it('re-indexing replaces the corridor: cells only the old one had forget the path', async () => {
        const { store: s } = await setup();
        const straight = corridorCells(route, { resolution: 9 });
        const kept = straight[0]!;
        const dropped = straight.at(-1)!;
        await s.indexPath('p', straight);
        await s.indexPath('p', [kept, farCell]);
        expect(await s.pathsForCell(kept)).toEqual(['p']);
        expect(await s.pathsForCell(farCell)).toEqual(['p']);
        expect(await s.pathsForCell(dropped)).toEqual([]);
        expect(await s.cellsOfPath('p')).toEqual([kept, farCell].sort());
      });

      it('removePath forgets the path in every cell and leaves other paths alone', async () => {
        const { store: s } = await setup();
        const cells = corridorCells(route, { resolution: 9, corridorK: 1 });
        await s.indexPath('p', cells);
        await s.indexPath('q', [cells[0]!]);
        expect(await s.removePath('p')).toBe(true);
        for (const cell of cells.slice(1)) expect(await s.pathsForCell(cell)).toEqual([]);
        expect(await s.pathsForCell(cells[0]!)).toEqual(['q']);
        expect(await s.cellsOfPath('p')).toEqual([]);
        expect(await s.removePath('p')).toBe(false);
        expect(await s.removePath('never-indexed')).toBe(false);
      });

      it('pathsForCells answers every distinct requested cell, known or not', async () => {
        const { store: s } = await setup();
        const cells = corridorCells(route, { resolution: 9 });
        await s.indexPath('p', cells.slice(0, 3));
        await s.indexPath('q', cells.slice(2, 4));
        const answer = await s.pathsForCells([cells[0]!, cells[2]!, cells[3]!, farCell, cells[0]!]);
        expect(answer).toEqual(
          new Map([
            [cells[0]!, ['p']],
            [cells[2]!, ['p', 'q']],
            [cells[3]!, ['q']],
            [farCell, []],
          ]),
        );
        expect(await s.pathsForCells([])).toEqual(new Map());
      });

      it('refuses anything that is not an H3 cell, naming the field, before writing', async () => {
        const { store: s } = await setup();
        expect(await rejectedField(s.indexPath('p', [targetCell, 'not-a-cell']))).toBe('cells[1]');
        expect(await s.pathsForCell(targetCell)).toEqual([]);
        expect(await rejectedField(s.indexPath('p', []))).toBe('cells');
        expect(await rejectedField(s.indexPath('', [targetCell]))).toBe('pathId');
        expect(await rejectedField(s.pathsForCell('8928308280fffzz'))).toBe('cell');
        expect(await rejectedField(s.pathsForCells([targetCell, '']))).toBe('cells[1]');
      });
    });

    describe('rider positions', () => {
      it('stores a ping and reads it back with the time it was received', async () => {
        const { store: s, clock } = await setup();
        clock.advance(5);
        expect(
          await s.updateRiderPosition('r1', at(CENTRE, T0 - 300, { speed: 4.5, heading: 270, accuracy: 8 })),
        ).toEqual({
          applied: true,
        });
        expect(await s.getRiderPosition('r1')).toEqual({
          riderId: 'r1',
          lat: CENTRE.lat,
          lon: CENTRE.lon,
          recordedAt: T0 - 300,
          lastSeenAt: T0 + 5,
          speed: 4.5,
          heading: 270,
          accuracy: 8,
          status: 'offline',
          batchId: null,
        });
      });

      it('keeps any rider id intact, commas, spaces and newlines included, with fractional and negative fields', async () => {
        const { store: s } = await setup();
        const odd = 'r,1, 2\n,x ✓';
        const ping = at(offset(CENTRE, -120.5, 33.25), T0 - 1, { speed: 0.125, heading: 359.5, accuracy: 1e-3 });
        expect(
          await s.updateRiderPositions([
            { riderId: odd, ...ping },
            { riderId: 'r,1', ...ping },
          ]),
        ).toEqual([{ applied: true }, { applied: true }]);
        expect(await s.getRiderPosition(odd)).toMatchObject({ riderId: odd, ...ping });
        expect(await s.getRiderPosition('r,1')).toMatchObject({ riderId: 'r,1', ...ping });
        expect(await s.getRiderPosition('r')).toBeNull();
      });

      it('knows nothing of a rider that never pinged', async () => {
        const { store: s } = await setup();
        expect(await s.getRiderPosition('ghost')).toBeNull();
        expect(await s.getRiderStatus('ghost')).toEqual({ status: 'offline', batchId: null });
      });

      it('ignores a ping older than, or as old as, the current position', async () => {
        const { store: s, clock } = await setup();
        const a = offset(CENTRE, 100, 0);
        await s.updateRiderPosition('r1', at(a, 2_000));
        clock.advance(1_000);
        expect(await s.updateRiderPosition('r1', at(offset(CENTRE, 900, 0), 1_999))).toEqual({ applied: false });
        expect(await s.updateRiderPosition('r1', at(offset(CENTRE, 900, 0), 2_000))).toEqual({ applied: false });
        const position = await s.getRiderPosition('r1');
        expect(position).toMatchObject({ lat: a.lat, lon: a.lon, recordedAt: 2_000, lastSeenAt: T0 });
        // The ignored pings did not move the rider in searches either.
        expect((await s.searchNearby(offset(CENTRE, 900, 0), 50, 10)).map((r) => r.riderId)).toEqual([]);

        expect(await s.updateRiderPosition('r1', at(offset(CENTRE, 900, 0), 2_001))).toEqual({ applied: true });
        expect(await s.getRiderPosition('r1')).toMatchObject({ recordedAt: 2_001, lastSeenAt: T0 + 1_000 });
      });

      it('a ping without the optional fields clears those of the previous ping', async () => {
        const { store: s } = await setup();
        await s.updateRiderPosition('r1', at(CENTRE, 1, { speed: 3, heading: 90, accuracy: 5 }));
        await s.updateRiderPosition('r1', at(CENTRE, 2, { accuracy: 12 }));
        const position = await s.getRiderPosition('r1');
        expect(position).toMatchObject({ accuracy: 12, recordedAt: 2 });
        expect(position).not.toHaveProperty('speed');
        expect(position).not.toHaveProperty('heading');
      });

      it('forgets a position riderTtlMs after it was received; then any ping, even an older one, is current', async () => {
        const { store: s, clock } = await setup();
        await s.updateRiderPosition('r1', at(CENTRE, 5_000));
        clock.advance(TTL - 1);
        expect(await s.getRiderPosition('r1')).not.toBeNull();
        clock.advance(1);
        expect(await s.getRiderPosition('r1')).toBeNull();
        expect(await s.searchNearby(CENTRE, 1_000, 10)).toEqual([]);

        const moved = offset(CENTRE, 0, 300);
        expect(await s.updateRiderPosition('r1', at(moved, 4_000))).toEqual({ applied: true });
        expect(await s.getRiderPosition('r1')).toMatchObject({ lat: moved.lat, lon: moved.lon, recordedAt: 4_000 });
      });

      it('keeps a position alive while pings keep arriving', async () => {
        const { store: s, clock } = await setup();
        await s.updateRiderPosition('r1', at(CENTRE, 1));
        clock.advance(TTL / 2);
        await s.updateRiderPosition('r1', at(CENTRE, 2));
        clock.advance(TTL / 2 + 1);
        expect(await s.getRiderPosition('r1')).toMatchObject({ recordedAt: 2, lastSeenAt: T0 + TTL / 2 });
      });

      it('updateRiderPositions applies a batch in order, one result per ping', async () => {
        const { store: s } = await setup();
        const results = await s.updateRiderPositions([
          { riderId: 'r1', ...at(CENTRE, 100) },
          { riderId: 'r2', ...at(offset(CENTRE, 50, 0), 100) },
          { riderId: 'r1', ...at(offset(CENTRE, 500, 0), 50) },
          { riderId: 'r1', ...at(offset(CENTRE, 200, 0), 200) },
          { riderId: 'r2', ...at(offset(CENTRE, 900, 0), 100) },
        ]);
        expect(results.map((r) => r.applied)).toEqual([true, true, false, true, false]);
        expect(await s.getRiderPosition('r1')).toMatchObject({ recordedAt: 200, ...offset(CENTRE, 200, 0) });
        expect(await s.getRiderPosition('r2')).toMatchObject({ recordedAt: 100, ...offset(CENTRE, 50, 0) });
        expect(await s.updateRiderPositions([])).toEqual([]);
      });

      it('refuses bad pings naming the field; a batch with one bad ping writes nothing', async () => {
        const { store: s } = await setup();
        expect(await rejectedField(s.updateRiderPosition('r1', at({ lat: 91, lon: 0 }, 1)))).toBe('lat');
        expect(await rejectedField(s.updateRiderPosition('r1', at({ lat: 86, lon: 0 }, 1)))).toBe('lat');
        expect(await rejectedField(s.updateRiderPosition('r1', at({ lat: 0, lon: Number.NaN }, 1)))).toBe('lon');
        expect(await rejectedField(s.updateRiderPosition('r1', at(CENTRE, Number.POSITIVE_INFINITY)))).toBe(
          'recordedAt',
        );
        expect(await rejectedField(s.updateRiderPosition('r1', at(CENTRE, 1, { heading: 361 })))).toBe('heading');
        expect(await rejectedField(s.updateRiderPosition('r1', at(CENTRE, 1, { speed: -1 })))).toBe('speed');
        expect(await rejectedField(s.updateRiderPosition('', at(CENTRE, 1)))).toBe('riderId');
        const batch = [
          { riderId: 'r1', ...at(CENTRE, 1) },
          { riderId: 'r2', ...at({ lat: 95, lon: 0 }, 1) },
        ];
        expect(await rejectedField(s.updateRiderPositions(batch))).toBe('pings[1].lat');
        expect(await s.getRiderPosition('r1')).toBeNull();
      });
    });

    describe('availability', () => {
      it('a rider is available only once set available, and only while its position is live', async () => {
        const { store: s } = await setup();
        await s.updateRiderPosition('r1', at(CENTRE, 1));
        expect(await s.searchAvailable(CENTRE, 500, 10)).toEqual([]);
        expect(await s.searchNearby(CENTRE, 500, 10)).toMatchObject([
          { riderId: 'r1', status: 'offline', batchId: null },
        ]);

        await s.setRiderAvailability('r1', 'available');
        const [found] = await s.searchAvailable(CENTRE, 500, 10);
        expect(found).toMatchObject({ riderId: 'r1', status: 'available', batchId: null });
        expect(found!.distanceM).toBeLessThan(1);
        expect(haversineM(found!.position, CENTRE)).toBeLessThan(1);

        // Set available before its first ping: it appears with the ping.
        await s.setRiderAvailability('r2', 'available');
        expect(await s.getRiderStatus('r2')).toEqual({ status: 'available', batchId: null });
        expect((await s.searchAvailable(CENTRE, 500, 10)).map((r) => r.riderId)).toEqual(['r1']);
        await s.updateRiderPosition('r2', at(offset(CENTRE, 100, 0), 1));
        expect((await s.searchAvailable(CENTRE, 500, 10)).map((r) => r.riderId)).toEqual(['r1', 'r2']);
      });

      it('an available rider moves with its pings', async () => {
        const { store: s } = await setup();
        const there = offset(CENTRE, 3_000, 0);
        await s.setRiderAvailability('r1', 'available');
        await s.updateRiderPosition('r1', at(CENTRE, 1));
        await s.updateRiderPosition('r1', at(there, 2));
        expect(await s.searchAvailable(CENTRE, 500, 10)).toEqual([]);
        expect((await s.searchAvailable(there, 500, 10)).map((r) => r.riderId)).toEqual(['r1']);
        expect((await s.searchNearby(there, 500, 10)).map((r) => r.riderId)).toEqual(['r1']);
        // Twice in one batch: the later position is the one both searches see.
        const further = offset(CENTRE, 6_000, 0);
        await s.updateRiderPositions([
          { riderId: 'r1', ...at(CENTRE, 3) },
          { riderId: 'r1', ...at(further, 4) },
        ]);
        expect(await s.searchAvailable(CENTRE, 500, 10)).toEqual([]);
        expect((await s.searchAvailable(further, 500, 10)).map((r) => r.riderId)).toEqual(['r1']);
        expect((await s.searchNearby(further, 500, 10)).map((r) => r.riderId)).toEqual(['r1']);
      });

      it("a busy rider's pings never make it available", async () => {
        const { store: s } = await setup();
        await s.setRiderAvailability('r1', 'available');
        await s.updateRiderPosition('r1', at(CENTRE, 1));
        await s.setRiderAvailability('r1', 'busy');
        for (let t = 2; t < 6; t++) await s.updateRiderPosition('r1', at(offset(CENTRE, t * 10, 0), t));
        await s.updateRiderPositions([{ riderId: 'r1', ...at(CENTRE, 10) }]);
        expect(await s.searchAvailable(CENTRE, 1_000, 10)).toEqual([]);
        expect(await s.searchNearby(CENTRE, 1_000, 10)).toMatchObject([{ riderId: 'r1', status: 'busy' }]);
        expect(await s.getRiderStatus('r1')).toEqual({ status: 'busy', batchId: null });
      });

      it('an offline rider leaves the available set but stays on the ops map while it pings', async () => {
        const { store: s } = await setup();
        await s.setRiderAvailability('r1', 'available');
        await s.updateRiderPosition('r1', at(CENTRE, 1));
        await s.setRiderAvailability('r1', 'offline');
        await s.updateRiderPosition('r1', at(CENTRE, 2));
        expect(await s.searchAvailable(CENTRE, 1_000, 10)).toEqual([]);
        expect(await s.searchNearby(CENTRE, 1_000, 10)).toMatchObject([{ riderId: 'r1', status: 'offline' }]);
        expect(await s.getRiderStatus('r1')).toEqual({ status: 'offline', batchId: null });
      });

      it('finds nothing at 100 m and the rider once the radius widens to 2 km', async () => {
        const { store: s } = await setup();
        const rider = offset(CENTRE, 900, 1_200); // 1.5 km away
        await s.setRiderAvailability('r1', 'available');
        await s.updateRiderPosition('r1', at(rider, 1));
        expect(await s.searchAvailable(CENTRE, 100, 10)).toEqual([]);
        expect(await s.searchNearby(CENTRE, 100, 10)).toEqual([]);
        const found = await s.searchAvailable(CENTRE, 2_000, 10);
        expect(found.map((r) => r.riderId)).toEqual(['r1']);
        expect(found[0]!.distanceM).toBeGreaterThan(1_480);
        expect(found[0]!.distanceM).toBeLessThan(1_520);
      });

      it('answers nearest first, at most `limit`, with distances within 1 % of haversine', async () => {
        const { store: s } = await setup();
        const placed = new Map<string, LatLng>([
          ['far', offset(CENTRE, -1_800, 1_800)], // ~2.55 km
          ['near', offset(CENTRE, 150, -120)], // ~190 m
          ['mid', offset(CENTRE, 0, -1_200)],
          ['close', offset(CENTRE, -600, 300)], // ~670 m
          ['edge', offset(CENTRE, 1_900, 0)],
        ]);
        for (const [riderId, point] of placed) {
          await s.setRiderAvailability(riderId, 'available');
          await s.updateRiderPosition(riderId, at(point, 1));
        }
        await s.updateRiderPosition('busy-next-door', at(offset(CENTRE, 20, 0), 1));
        await s.setRiderAvailability('busy-next-door', 'busy');

        const all = await s.searchAvailable(CENTRE, 3_000, 10);
        expect(all.map((r) => r.riderId)).toEqual(['near', 'close', 'mid', 'edge', 'far']);
        for (const r of all) {
          const truth = haversineM(CENTRE, placed.get(r.riderId)!);
          expect(Math.abs(r.distanceM - truth) / truth).toBeLessThan(0.01);
          expect(haversineM(r.position, placed.get(r.riderId)!)).toBeLessThan(1);
          expect(r.status).toBe('available');
        }
        expect((await s.searchAvailable(CENTRE, 3_000, 3)).map((r) => r.riderId)).toEqual(['near', 'close', 'mid']);
        expect((await s.searchAvailable(CENTRE, 1_500, 10)).map((r) => r.riderId)).toEqual(['near', 'close', 'mid']);
        expect((await s.searchNearby(CENTRE, 1_500, 2)).map((r) => r.riderId)).toEqual(['busy-next-door', 'near']);
      });

      it('riders whose pings stopped vanish from both searches (no ghosts) and come back with their next ping', async () => {
        const { store: s, clock } = await setup();
        for (const riderId of ['quiet', 'chatty']) {
          await s.setRiderAvailability(riderId, 'available');
          await s.updateRiderPosition(riderId, at(offset(CENTRE, riderId === 'quiet' ? 100 : 200, 0), 1));
        }
        clock.advance(TTL / 2);
        await s.updateRiderPosition('chatty', at(offset(CENTRE, 200, 0), 2));
        clock.advance(TTL / 2);

        expect((await s.searchAvailable(CENTRE, 1_000, 10)).map((r) => r.riderId)).toEqual(['chatty']);
        expect((await s.searchNearby(CENTRE, 1_000, 10)).map((r) => r.riderId)).toEqual(['chatty']);
        expect(await s.getRiderPosition('quiet')).toBeNull();
        expect(await s.claimRider('quiet', 'b1')).toBe(false);
        // The status outlives the position: the rider is back as soon as it pings again.
        expect(await s.getRiderStatus('quiet')).toEqual({ status: 'available', batchId: null });
        await s.updateRiderPosition('quiet', at(offset(CENTRE, 100, 0), 2));
        expect((await s.searchAvailable(CENTRE, 1_000, 10)).map((r) => r.riderId)).toEqual(['quiet', 'chatty']);
      });

      it('a busy rider whose pings pause is still busy, and not available, when they resume', async () => {
        const { store: s, clock } = await setup();
        await s.setRiderAvailability('r1', 'available');
        await s.updateRiderPosition('r1', at(CENTRE, 1));
        expect(await s.claimRider('r1', 'b1')).toBe(true);
        clock.advance(TTL * 3);
        expect(await s.getRiderPosition('r1')).toBeNull();
        await s.updateRiderPosition('r1', at(CENTRE, 2));
        expect(await s.getRiderStatus('r1')).toEqual({ status: 'busy', batchId: 'b1' });
        expect(await s.searchAvailable(CENTRE, 1_000, 10)).toEqual([]);
      });

      it('refuses bad search and status input, naming the field', async () => {
        const { store: s } = await setup();
        expect(await rejectedField(s.searchAvailable({ lat: 100, lon: 0 }, 100, 10))).toBe('center.lat');
        expect(await rejectedField(s.searchNearby({ lat: 0, lon: 181 }, 100, 10))).toBe('center.lon');
        expect(await rejectedField(s.searchAvailable(CENTRE, 0, 10))).toBe('radiusM');
        expect(await rejectedField(s.searchAvailable(CENTRE, Number.NaN, 10))).toBe('radiusM');
        expect(await rejectedField(s.searchNearby(CENTRE, 100, 0))).toBe('limit');
        expect(await rejectedField(s.searchNearby(CENTRE, 100, 2.5))).toBe('limit');
        expect(await rejectedField(s.setRiderAvailability('r1', 'asleep' as never))).toBe('status');
        expect(await rejectedField(s.claimRider('r1', ''))).toBe('batchId');
      });
    });

    describe('claims', () => {
      const availableRider = async (s: GeoStore, riderId = 'r1', point = CENTRE): Promise<void> => {
        await s.setRiderAvailability(riderId, 'available');
        await s.updateRiderPosition(riderId, at(point, 1));
      };

      it('claims an available rider once: busy with the batch and out of searchAvailable', async () => {
        const { store: s } = await setup();
        await availableRider(s);
        expect(await s.claimRider('r1', 'batch-1')).toBe(true);
        expect(await s.getRiderStatus('r1')).toEqual({ status: 'busy', batchId: 'batch-1' });
        expect(await s.getRiderPosition('r1')).toMatchObject({ status: 'busy', batchId: 'batch-1' });
        expect(await s.searchAvailable(CENTRE, 1_000, 10)).toEqual([]);
        expect(await s.searchNearby(CENTRE, 1_000, 10)).toMatchObject([
          { riderId: 'r1', status: 'busy', batchId: 'batch-1' },
        ]);
        expect(await s.claimRider('r1', 'batch-2')).toBe(false);
        expect(await s.claimRider('r1', 'batch-1')).toBe(false);
        expect(await s.getRiderStatus('r1')).toEqual({ status: 'busy', batchId: 'batch-1' });
      });

      it('does not claim an offline, unknown, busy or expired rider', async () => {
        const { store: s, clock } = await setup();
        await s.updateRiderPosition('offline', at(CENTRE, 1));
        expect(await s.claimRider('offline', 'b')).toBe(false);
        expect(await s.claimRider('unknown', 'b')).toBe(false);
        await s.setRiderAvailability('no-position-yet', 'available');
        expect(await s.claimRider('no-position-yet', 'b')).toBe(false);
        await availableRider(s, 'busy');
        await s.setRiderAvailability('busy', 'busy');
        expect(await s.claimRider('busy', 'b')).toBe(false);
        await availableRider(s, 'expired');
        clock.advance(TTL);
        expect(await s.claimRider('expired', 'b')).toBe(false);
        expect(await s.getRiderStatus('expired')).toEqual({ status: 'available', batchId: null });
      });

      it('of 20 concurrent claims on one rider exactly one wins', async () => {
        const { store: s } = await setup();
        await availableRider(s);
        const batches = Array.from({ length: 20 }, (_, i) => `batch-${i}`);
        const wins = await Promise.all(batches.map((b) => s.claimRider('r1', b)));
        expect(wins.filter(Boolean)).toHaveLength(1);
        const winner = batches[wins.indexOf(true)];
        expect(await s.getRiderStatus('r1')).toEqual({ status: 'busy', batchId: winner });
      });

      it('release makes a busy rider available again at its last position', async () => {
        const { store: s } = await setup();
        const moved = offset(CENTRE, 400, 0);
        await availableRider(s);
        await s.claimRider('r1', 'b1');
        await s.updateRiderPosition('r1', at(moved, 2)); // delivering
        expect(await s.releaseRider('r1', 'b1')).toBe(true);
        expect(await s.getRiderStatus('r1')).toEqual({ status: 'available', batchId: null });
        const found = await s.searchAvailable(moved, 100, 10);
        expect(found.map((r) => r.riderId)).toEqual(['r1']);
        expect(found[0]!.distanceM).toBeLessThan(1);
        expect(await s.claimRider('r1', 'b2')).toBe(true);
        expect(await s.releaseRider('r1')).toBe(true); // without a batch: whatever it carries
        expect(await s.getRiderStatus('r1')).toEqual({ status: 'available', batchId: null });
      });

      it('release changes nothing for a rider that is not busy, or busy with another batch', async () => {
        const { store: s } = await setup();
        await availableRider(s);
        expect(await s.releaseRider('r1')).toBe(false);
        expect(await s.releaseRider('unknown')).toBe(false);
        await s.claimRider('r1', 'b2');
        expect(await s.releaseRider('r1', 'b1')).toBe(false); // a late release of an older batch
        expect(await s.getRiderStatus('r1')).toEqual({ status: 'busy', batchId: 'b2' });
        expect(await s.searchAvailable(CENTRE, 1_000, 10)).toEqual([]);
        await s.setRiderAvailability('r1', 'busy'); // busy without a batch
        expect(await s.releaseRider('r1', 'b2')).toBe(false);
        expect(await s.releaseRider('r1')).toBe(true);
      });

      it('a rider released after its position expired is available again with its next ping', async () => {
        const { store: s, clock } = await setup();
        await availableRider(s);
        await s.claimRider('r1', 'b1');
        clock.advance(TTL);
        expect(await s.releaseRider('r1', 'b1')).toBe(true);
        expect(await s.searchAvailable(CENTRE, 1_000, 10)).toEqual([]);
        await s.updateRiderPosition('r1', at(CENTRE, 2));
        expect((await s.searchAvailable(CENTRE, 1_000, 10)).map((r) => r.riderId)).toEqual(['r1']);
      });

      it('setting a busy rider available clears its batch', async () => {
        const { store: s } = await setup();
        await availableRider(s);
        await s.claimRider('r1', 'b1');
        await s.setRiderAvailability('r1', 'available');
        expect(await s.getRiderStatus('r1')).toEqual({ status: 'available', batchId: null });
        expect((await s.searchAvailable(CENTRE, 1_000, 10)).map((r) => r.riderId)).toEqual(['r1']);
      });
    });

    describe('epoch marker and restoring a busy rider', () => {
      it('answers null until an epoch is written, then what was written last', async () => {
        const { store: s } = await setup();
        expect(await s.getEpoch()).toBeNull();
        await s.setEpoch('e1');
        await s.setEpoch('e2');
        expect(await s.getEpoch()).toBe('e2');
        await expect(s.setEpoch('')).rejects.toBeInstanceOf(GeoStoreInputError);
      });

      it('sets a rider busy with its batch (never searchable), which a release of that batch frees', async () => {
        const { store: s } = await setup();
        await s.updateRiderPosition('r1', at(CENTRE, 1));
        await s.setRiderAvailability('r1', 'busy', 'b1');
        expect(await s.getRiderStatus('r1')).toEqual({ status: 'busy', batchId: 'b1' });
        expect(await s.searchAvailable(CENTRE, 500, 10)).toEqual([]);
        expect(await s.claimRider('r1', 'b2')).toBe(false);
        expect(await s.releaseRider('r1', 'b2')).toBe(false);
        expect(await s.releaseRider('r1', 'b1')).toBe(true);
        expect((await s.searchAvailable(CENTRE, 500, 10)).map((r) => r.riderId)).toEqual(['r1']);
        // A batch given with another status is not recorded.
        await s.setRiderAvailability('r1', 'available', 'b3');
        expect(await s.getRiderStatus('r1')).toEqual({ status: 'available', batchId: null });
      });
    });

    describe('per-rider ping rate', () => {
      const LIMIT: PingRateLimit = { perSecond: 2, burst: 3 };

      it('applies a burst of single pings, then refuses with the wait for the next token and changes nothing', async () => {
        const { store: s, clock } = await setup();
        for (let i = 1; i <= 3; i++)
          expect(await s.updateRiderPosition('r1', at(CENTRE, i), LIMIT)).toEqual({ applied: true });
        const far = offset(CENTRE, 1_000, 0);
        expect(await s.updateRiderPosition('r1', at(far, 4), LIMIT)).toEqual({ applied: false, retryAfterMs: 500 });
        expect(await s.getRiderPosition('r1')).toMatchObject({ recordedAt: 3, lat: CENTRE.lat });
        clock.advance(499);
        expect(await s.updateRiderPosition('r1', at(far, 4), LIMIT)).toEqual({ applied: false, retryAfterMs: 1 });
        clock.advance(1);
        expect(await s.updateRiderPosition('r1', at(far, 4), LIMIT)).toEqual({ applied: true });
        expect((await s.getRiderPosition('r1'))?.recordedAt).toBe(4);
        // Idle long enough, the bucket is full again: a burst, and no more.
        clock.advance(10_000);
        for (let i = 5; i <= 7; i++)
          expect((await s.updateRiderPosition('r1', at(CENTRE, i), LIMIT)).applied).toBe(true);
        expect((await s.updateRiderPosition('r1', at(CENTRE, 8), LIMIT)).retryAfterMs).toBe(500);
      });

      it('counts ignored pings too, keeps riders apart, and leaves the bulk feed unlimited', async () => {
        const { store: s, clock } = await setup();
        expect(await s.updateRiderPosition('r1', at(CENTRE, 10), LIMIT)).toEqual({ applied: true });
        expect(await s.updateRiderPosition('r1', at(CENTRE, 5), LIMIT)).toEqual({ applied: false }); // older: ignored
        expect(await s.updateRiderPosition('r1', at(CENTRE, 5), LIMIT)).toEqual({ applied: false });
        expect(await s.updateRiderPosition('r1', at(CENTRE, 11), LIMIT)).toEqual({ applied: false, retryAfterMs: 500 });
        expect(await s.updateRiderPosition('r2', at(CENTRE, 1), LIMIT)).toEqual({ applied: true });
        const bulk = await s.updateRiderPositions(
          Array.from({ length: 10 }, (_, i) => ({ riderId: 'r1', ...at(CENTRE, 20 + i) })),
        );
        expect(bulk.every((r) => r.applied)).toBe(true);
        expect((await s.getRiderPosition('r1'))?.recordedAt).toBe(29);
        // The bulk feed took no token, and gave none back.
        expect(await s.updateRiderPosition('r1', at(CENTRE, 30), LIMIT)).toEqual({ applied: false, retryAfterMs: 500 });
        clock.advance(500);
        expect(await s.updateRiderPosition('r1', at(CENTRE, 30), LIMIT)).toEqual({ applied: true });
      });

      it('lets exactly the burst through when one rider’s pings race', async () => {
        const { store: s } = await setup();
        const results = await Promise.all(
          Array.from({ length: 12 }, (_, i) => s.updateRiderPosition('r1', at(CENTRE, i + 1), LIMIT)),
        );
        expect(results.filter((r) => r.applied)).toHaveLength(3);
        expect(results.filter((r) => r.retryAfterMs !== undefined)).toHaveLength(9);
      });

      it('limits only the calls that pass a limit: internal writes neither take nor need a token', async () => {
        const { store: s } = await setup();
        for (let i = 1; i <= 2; i++) await s.updateRiderPosition('r1', at(CENTRE, i), LIMIT);
        await s.updateRiderPosition('r1', at(CENTRE, 3), LIMIT);
        expect((await s.updateRiderPosition('r1', at(CENTRE, 4), LIMIT)).retryAfterMs).toBe(500);
        for (let i = 5; i <= 50; i++)
          expect(await s.updateRiderPosition('r1', at(CENTRE, i))).toEqual({ applied: true });
        expect((await s.updateRiderPosition('r1', at(CENTRE, 51), LIMIT)).retryAfterMs).toBe(500);
      });

      it('refuses a limit it cannot serve', async () => {
        const { store: s } = await setup();
        await expect(s.updateRiderPosition('r1', at(CENTRE, 1), { perSecond: 0, burst: 1 })).rejects.toThrow(
          RangeError,
        );
        await expect(s.updateRiderPosition('r1', at(CENTRE, 1), { perSecond: 1, burst: 0 })).rejects.toThrow(
          RangeError,
        );
      });
    });

    describe('lifecycle', () => {
      it('answers ping while open; after close every method rejects and close may be repeated', async () => {
        const { store: s } = await setup();
        await expect(s.ping()).resolves.toBeUndefined();
        await s.close();
        await s.close();
        await expect(s.ping()).rejects.toBeInstanceOf(GeoStoreClosedError);
        await expect(s.updateRiderPosition('r1', at(CENTRE, 1))).rejects.toBeInstanceOf(GeoStoreClosedError);
        await expect(s.searchNearby(CENTRE, 100, 1)).rejects.toBeInstanceOf(GeoStoreClosedError);
        await expect(s.pathsForCell(latLngToCell(CENTRE.lat, CENTRE.lon, 9))).rejects.toMatchObject({
          slug: 'geostore.closed',
        });
      });
    });
  });
}
