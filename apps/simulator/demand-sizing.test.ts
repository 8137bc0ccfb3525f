import { describe, expect, it } from 'vitest';
import { measureDetour, sizeDemand, type DemandSizingInput } from './demand-sizing.ts';
import { pathLengthM, pointAtBearing } from './geo-math.ts';
import { seededRandom } from './random.ts';

const center = { lat: 43.7384, lon: 7.4246 };
const stores = [0, 1, 2, 3].map((i) => pointAtBearing(center, 1_500, (i * Math.PI) / 2));
const input = (over: Partial<DemandSizingInput> = {}): DemandSizingInput => ({
  riders: 20,
  stores,
  dropRadiusM: { min: 400, max: 2_500 },
  riderSpeedMps: 25 / 3.6,
  overheadPerBundleS: 0,
  overheadPerLegS: 0,
  bundleSize: 1,
  targetUtilisation: 0.75,
  random: seededRandom(1),
  ...over,
});

describe('demand sized to the fleet', () => {
  it('is utilisation × riders × bundle / minutes per bundle, from the city’s mean distances', () => {
    const s = sizeDemand(input());
    // Store → drop: uniform distance in [400, 2500] m, mean 1450 m.
    expect(s.meanStoreToDropM).toBeGreaterThan(1_400);
    expect(s.meanStoreToDropM).toBeLessThan(1_500);
    const rideMin = (s.meanRepositionM + s.meanStoreToDropM) / (25 / 3.6) / 60;
    expect(s.bundleMinutes).toBeCloseTo(rideMin, 6);
    expect(s.ordersPerMinute).toBeCloseTo((0.75 * 20 * 1) / rideMin, 6);
  });

  it('scales with the fleet and the target, and counts bundle-mates’ extra legs and the overheads', () => {
    const base = sizeDemand(input());
    expect(sizeDemand(input({ riders: 40, random: seededRandom(1) })).ordersPerMinute).toBeGreaterThan(
      base.ordersPerMinute * 1.9,
    );
    const busier = sizeDemand(input({ targetUtilisation: 0.85, random: seededRandom(1) }));
    expect(busier.ordersPerMinute).toBeGreaterThan(base.ordersPerMinute);
    const bundled = sizeDemand(input({ bundleSize: 2, random: seededRandom(1) }));
    // A second drop costs less than a second trip, so bundles carry more per rider…
    expect(bundled.ordersPerMinute).toBeGreaterThan(base.ordersPerMinute);
    // …but not twice as much.
    expect(bundled.ordersPerMinute).toBeLessThan(base.ordersPerMinute * 2);
    const slow = sizeDemand(input({ overheadPerBundleS: 60, overheadPerLegS: 30, random: seededRandom(1) }));
    expect(slow.bundleMinutes).toBeCloseTo(base.bundleMinutes + 1 + 1, 1);
  });

  it('sends the nearest idle rider: the fewer idle riders, the longer the ride to the store', () => {
    const relaxed = sizeDemand(input({ targetUtilisation: 0.5 })); // 10 idle riders to choose from
    const tight = sizeDemand(input({ targetUtilisation: 1, random: seededRandom(1) })); // always 1
    expect(tight.meanRepositionM).toBeGreaterThan(relaxed.meanRepositionM);
    // With one rider the ride is the mean distance from a random drop to a random store.
    expect(tight.meanRepositionM).toBeGreaterThan(pathLengthM([stores[0]!, stores[2]!]) / 3);
  });

  it('sizes nothing for no riders or no stores, and refuses nonsense', () => {
    expect(sizeDemand(input({ riders: 0 })).ordersPerMinute).toBe(0);
    expect(sizeDemand(input({ stores: [] })).ordersPerMinute).toBe(0);
    expect(() => sizeDemand(input({ bundleSize: 0.5 }))).toThrow(RangeError);
    expect(() => sizeDemand(input({ targetUtilisation: 0 }))).toThrow(RangeError);
  });

  it('sizes riders who follow streets for the measured detour: twice the road, half the orders', async () => {
    const straight = sizeDemand(input());
    const roads = sizeDemand(input({ detourFactor: 2, random: seededRandom(1) }));
    expect(roads.bundleMinutes).toBeCloseTo(2 * straight.bundleMinutes, 6);
    expect(roads.ordersPerMinute).toBeCloseTo(straight.ordersPerMinute / 2, 6);
    expect(() => sizeDemand(input({ detourFactor: 0.5 }))).toThrow(RangeError);
    // The detour is road metres over straight metres on the legs the router answers; the others are left out.
    let calls = 0;
    const detour = await measureDetour(stores, { min: 400, max: 2_500 }, seededRandom(2), async (a, b) => {
      calls += 1;
      if (calls % 3 === 0) throw new Error('off the network');
      return 2.5 * pathLengthM([a, b]);
    });
    expect(detour).toBeCloseTo(2.5, 6);
    expect(
      await measureDetour(stores, { min: 400, max: 2_500 }, seededRandom(2), async () =>
        Promise.reject(new Error('down')),
      ),
    ).toBe(1);
  });
});
