import { describe, expect, it } from 'vitest';
import { batchRegret, type ExecutedTrip, type HindsightOrder } from './hindsight-regret.ts';
import type { ServiceTimes } from './params.ts';
import { at, gridTravel, MIN } from './test-fixtures.ts';

// One minute of service around every hand-over keeps the hand computations short. The grid rides 5 m/s: 1 km = 200 s.
const service: ServiceTimes = {
  pickupBeforeSeconds: 60,
  pickupAfterSeconds: 60,
  dropBeforeSeconds: 60,
  dropAfterSeconds: 60,
};
const S = 1000;
const READY = 15 * MIN;
const store = at(0, 0);

const order = (id: string, x: number, y = 0, o: Partial<HindsightOrder> = {}): HindsightOrder => ({
  id,
  drop: at(x, y),
  readyAt: READY,
  promisedAt: 60 * MIN,
  deliveredAt: null,
  ...o,
});

/** A rider at the store a minute before the food is ready: the pickup happens exactly at READY. */
const trip = (
  batchId: string,
  riderId: string,
  sequence: HindsightOrder[],
  decidedAt = READY - 5 * MIN,
): ExecutedTrip => ({
  batchId,
  riderId,
  decidedAt,
  atStoreAt: READY - 60 * S,
  sequence,
});

describe('batchRegret', () => {
  it('is 0 for a single order taken by a rider waiting at the store (a good decision)', () => {
    const r = batchRegret(
      { store, batch: trip('b1', 'r1', [order('a', 1000)]), neighbours: [], freeRiders: [], capacity: 3 },
      gridTravel,
      service,
    );
    // Leave at READY+60 s, drop at +320 s, leave the drop at +380 s; the rider was there from −60 s.
    // Rider 440 s + customer (ready → door) 320 s, nobody late.
    expect(r.realisedS).toBe(760);
    expect(r.regretS).toBe(0);
    expect(r.hindsightBestS).toBe(760);
    expect(r.alternative).toBe('as_executed');
    expect(r.mergedWith).toBeNull();
  });

  it('charges a poor drop order with what the better order saves', () => {
    const far = order('far', 3000);
    const near = order('near', 1000);
    const r = batchRegret(
      { store, batch: trip('b1', 'r1', [far, near]), neighbours: [], freeRiders: [], capacity: 3 },
      gridTravel,
      service,
    );
    // Far first: drops at +720 s and +1240 s, last leave +1300 s → 1360 + 1960 = 3320.
    // Near first: drops at +320 s and +840 s, last leave +900 s → 960 + 1160 = 2120.
    expect(r.realisedS).toBe(3320);
    expect(r.hindsightBestS).toBe(2120);
    expect(r.regretS).toBe(1200);
    expect(r.relative).toBeCloseTo(1200 / 3320, 12);
    expect(r.alternative).toBe('resequence');
    expect(r.bestTrips).toEqual([{ riderId: 'r1', orderIds: ['near', 'far'] }]);
  });

  it('charges two orders to the same building sent in separate batches to the later decision', () => {
    const a = order('a', 1000, 500);
    const b = order('b', 1000, 500);
    const first = trip('b1', 'r1', [a], READY - 6 * MIN);
    const second = trip('b2', 'r2', [b], READY - 5 * MIN);
    const r = batchRegret(
      { store, batch: second, neighbours: [first], freeRiders: [], capacity: 3 },
      gridTravel,
      service,
    );
    // Each alone: travel ceil(1118.03 m / 5) = 224 s → drop +344 s, leave +404 s: 464 + 344 = 808.
    // Together on r1: drops +344 s and +464 s (the second right after the first's hand-over), leave +524 s:
    // 584 + 344 + 464 = 1392; the first batch alone would have cost 808, so b's share is 584.
    expect(r.realisedS).toBe(808);
    expect(r.hindsightBestS).toBe(584);
    expect(r.regretS).toBe(224);
    expect(r.alternative).toBe('merge');
    expect(r.mergedWith).toBe('b1');
    // Both riders stood at the store at the same time: either may carry both.
    expect(r.bestTrips).toHaveLength(1);
    expect([...r.bestTrips[0]!.orderIds].sort()).toEqual(['a', 'b']);
    // The earlier decision had no earlier partner and nothing better alone: it is not charged as well.
    const earlier = batchRegret(
      { store, batch: first, neighbours: [], freeRiders: [], capacity: 3 },
      gridTravel,
      service,
    );
    expect(earlier.regretS).toBe(0);
  });

  it('does not merge beyond the capacity', () => {
    const first = trip('b1', 'r1', [order('a', 1000, 500)], READY - 6 * MIN);
    const second = trip('b2', 'r2', [order('b', 1000, 500)]);
    const r = batchRegret(
      { store, batch: second, neighbours: [first], freeRiders: [], capacity: 1 },
      gridTravel,
      service,
    );
    expect(r.regretS).toBe(0);
  });

  it('charges a batch of opposite drops when a free rider could have taken one', () => {
    const east = order('east', 3000);
    const west = order('west', -3000);
    const batch = trip('b1', 'r1', [east, west]);
    const free = { riderId: 'r9', location: store, freeAt: READY - 10 * MIN };
    const r = batchRegret({ store, batch, neighbours: [], freeRiders: [free], capacity: 3 }, gridTravel, service);
    // One rider: drops +720 s and +2040 s, last leave +2100 s → 2160 + 2760 = 4920.
    // Split: r1 alone 840 + 720 = 1560; the free rider stands at the store from the decision (−5 min), and that wait is
    // rider time: 1080 + 720 = 1800.
    expect(r.realisedS).toBe(4920);
    expect(r.alternative).toBe('split');
    expect(r.regretS).toBe(4920 - (1560 + 1800));
    expect(new Set(r.bestTrips.map((t) => t.riderId))).toEqual(new Set(['r1', 'r9']));
  });

  it('counts lateness on top of the wait, and a free rider too far away changes nothing', () => {
    const late = order('a', 1000, 0, { promisedAt: READY + 120 * S });
    const far = { riderId: 'r9', location: at(50_000, 0), freeAt: 0 };
    const r = batchRegret(
      { store, batch: trip('b1', 'r1', [late]), neighbours: [], freeRiders: [far], capacity: 3 },
      gridTravel,
      service,
    );
    // Drop at +320 s, promised +120 s: 200 s late, weighted 2.
    expect(r.realisedS).toBe(760 + 400);
    expect(r.regretS).toBe(0);
  });

  it('prices the recorded drop times as well (actualS)', () => {
    const a = order('a', 1000, 0, { deliveredAt: READY + 400 * S });
    const r = batchRegret(
      { store, batch: trip('b1', 'r1', [a]), neighbours: [], freeRiders: [], capacity: 3 },
      gridTravel,
      service,
    );
    // Rider from −60 s to the drop + 60 s: 520 s; customer 400 s.
    expect(r.actualS).toBe(920);
    expect(r.regretS).toBe(0);
  });
});
