import { describe, expect, it } from 'vitest';
import { loadInstance } from './instance.ts';
import {
  dropoffMinute,
  leaveMinute,
  mdrpTravelTime,
  pickupMinute,
  serviceTimesOf,
  toGeo,
  toPlane,
  travelMinutes,
} from './travel-model.ts';

describe('MDRPLIB travel model', () => {
  it('travel time is ceil(euclidean metres / meters_per_minute)', () => {
    expect(travelMinutes({ x: 0, y: 0 }, { x: 0, y: 640 }, 320)).toBe(2);
    expect(travelMinutes({ x: 0, y: 0 }, { x: 0, y: 641 }, 320)).toBe(3);
    expect(travelMinutes({ x: 0, y: 0 }, { x: 300, y: 400 }, 100)).toBe(5);
    expect(travelMinutes({ x: 7, y: 7 }, { x: 7, y: 7 }, 320)).toBe(0);
  });

  it('projection to latitude/longitude round-trips integer metres exactly', () => {
    for (const p of [
      { x: 0, y: 0 },
      { x: 12413, y: 7222 },
      { x: -3, y: 40000 },
    ])
      expect(toPlane(toGeo(p))).toEqual(p);
  });

  it('the TravelTime adapter applies the same rule through the projection, on every pair of a real instance', async () => {
    const inst = await loadInstance('../shared/mdrplib/0o50t75s2p100');
    const mpm = inst.parameters.metersPerMinute;
    const travel = mdrpTravelTime(mpm);
    const points = [...inst.restaurants, ...inst.orders.slice(0, 120), ...inst.couriers];
    let mismatches = 0;
    for (const a of points)
      for (const b of points)
        if (travel.durationSeconds(toGeo(a), toGeo(b)) !== 60 * travelMinutes(a, b, mpm)) mismatches++;
    expect(mismatches).toBe(0);
  });
});

describe('MDRPLIB service rules (4 min = 2 before + 2 after the hand-over)', () => {
  it('pickup = max(ready, arrival + 2), leave 2 later', () => {
    expect(pickupMinute(8, 12, 4)).toBe(12);
    expect(pickupMinute(11, 12, 4)).toBe(13);
    expect(leaveMinute(13, 4)).toBe(15);
  });
  it('drop-off = arrival + 2, leave 2 later', () => {
    expect(dropoffMinute(17, 4)).toBe(19);
    expect(leaveMinute(19, 4)).toBe(21);
  });
  it('maps to the dispatcher service times in seconds', () => {
    const s = serviceTimesOf({
      metersPerMinute: 320,
      pickupServiceMinutes: 4,
      dropoffServiceMinutes: 4,
      targetClickToDoor: 40,
      maxClickToDoor: 90,
      payPerOrder: 10,
      guaranteedPayPerHour: 15,
    });
    expect(s).toEqual({
      pickupBeforeSeconds: 120,
      pickupAfterSeconds: 120,
      dropBeforeSeconds: 120,
      dropAfterSeconds: 120,
    });
  });
});
