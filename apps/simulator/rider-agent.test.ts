import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../internal/platform/project-root.ts';
import { loadRoadGraph } from '../../internal/routing/road-graph.ts';
import { RoadRouter } from '../../internal/routing/road-router.ts';
import { NoSegmentError } from '../../internal/routing/router.ts';
import type { BatchDto } from './api-client.ts';
import { streetsOf } from './compose.ts';
import { fixesAlong, pathLengthM } from './geo-math.ts';
import { batchItinerary, legPath } from './rider-agent.ts';

const store = { lat: 1, lon: 1 };
const base: BatchDto = {
  id: 'b',
  store_id: 's',
  status: 'assigned',
  rider_id: 'r',
  orders: [
    { id: 'o2', status: 'assigned', sequence: 2, drop: { lat: 3, lon: 3 } },
    { id: 'o1', status: 'assigned', sequence: 1, drop: { lat: 2, lon: 2 } },
  ],
  stops: null,
};

describe('a rider’s itinerary for a batch', () => {
  it('follows the refined stops when there are some', () => {
    const batch: BatchDto = {
      ...base,
      stops: [
        { kind: 'pickup', order_id: null, lat: 1.1, lon: 1.1 },
        { kind: 'drop', order_id: 'o2', lat: 3, lon: 3 },
        { kind: 'drop', order_id: 'o1', lat: 2, lon: 2 },
      ],
    };
    expect(batchItinerary(batch, store)).toEqual({
      pickup: { lat: 1.1, lon: 1.1 },
      drops: [
        { lat: 3, lon: 3, orderId: 'o2' },
        { lat: 2, lon: 2, orderId: 'o1' },
      ],
    });
  });

  it('before refinement: the store, then the drops in batch sequence', () => {
    expect(batchItinerary(base, store)).toEqual({
      pickup: store,
      drops: [
        { lat: 2, lon: 2, orderId: 'o1' },
        { lat: 3, lon: 3, orderId: 'o2' },
      ],
    });
  });
});

describe('a rider’s ride between two points', () => {
  const casino = { lat: 43.7394, lon: 7.4276 };
  const fontvieille = { lat: 43.7282, lon: 7.4154 };

  it('follows the streets the road router gives: every GPS fix lies on a road', async () => {
    const router = new RoadRouter(loadRoadGraph(join(PROJECT_ROOT, 'data', 'monaco', 'graph.json')));
    const path = await legPath(casino, fontvieille, streetsOf(router));
    expect(pathLengthM(path)).toBeGreaterThan(1.2 * pathLengthM([casino, fontvieille]));
    const fixes = fixesAlong(path, 8, 1_000); // one fix every 8 m
    expect(fixes.length).toBeGreaterThan(100);
    // Off the road only on the way from the door to the street, at either end (as far as that door is from its street).
    const reach = {
      from: (await router.nearest(casino)).distanceM + 8,
      to: (await router.nearest(fontvieille)).distanceM + 8,
    };
    let onRoad = 0;
    for (const fix of fixes) {
      if ((await router.nearest(fix)).distanceM <= 2) onRoad += 1;
      else
        expect(
          pathLengthM([fix, casino]) <= reach.from || pathLengthM([fix, fontvieille]) <= reach.to,
          JSON.stringify(fix),
        ).toBe(true);
    }
    expect(onRoad).toBeGreaterThan(fixes.length - 12);
    expect(fixes.at(-1)).toEqual(fontvieille);
  });

  it('rides straight without a router, or when the router cannot answer', async () => {
    expect(await legPath(casino, fontvieille)).toEqual([casino, fontvieille]);
    const errors: unknown[] = [];
    const failing = async () => {
      throw new NoSegmentError('to', 'nearest road is 1104 m away (more than 1000 m)');
    };
    expect(await legPath(casino, fontvieille, failing, (e) => errors.push(e))).toEqual([casino, fontvieille]);
    expect(errors).toHaveLength(1);
  });
});
