import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../platform/project-root.ts';
import { loadRoadGraph, parseRoadGraph, ROAD_GRAPH_FORMAT, type RoadGraphFile } from './road-graph.ts';
import { RoadRouter } from './road-router.ts';
import { loadRecordings } from './osrm-replay-server.ts';
import { routerContract } from './router.contract.ts';
import { isPointOffNetwork, NoSegmentError, type LatLng } from './router.ts';
import { haversineM } from './straight-line-router.ts';

/** The committed demo-city graph (data/monaco, built by `npm run roads` from ../shared/osm/monaco.osm.pbf). */
const MONACO_GRAPH = join(PROJECT_ROOT, 'data', 'monaco', 'graph.json');

routerContract('road graph (Monaco)', async () => {
  const router = new RoadRouter(loadRoadGraph(MONACO_GRAPH));
  return { router, requestCount: () => 0, close: () => router.close() };
});

const CASINO: LatLng = { lat: 43.7394, lon: 7.4276 };
const FONTVIEILLE: LatLng = { lat: 43.7282, lon: 7.4154 };
/** The drop of the recorded `route-drop-far-from-roads` exchange: in the sea, 1 104 m from OSRM's nearest road. */
const SEA_DROP: LatLng = { lat: 43.725, lon: 7.438 };
const DEMO_CENTER: LatLng = { lat: 43.7384, lon: 7.4246 };

describe('RoadRouter on Monaco', () => {
  let router: RoadRouter;
  beforeAll(() => {
    router = new RoadRouter(loadRoadGraph(MONACO_GRAPH));
  });

  it('follows the streets: longer than the straight line, shorter than three times it, through many road points', async () => {
    const r = await router.route(CASINO, FONTVIEILLE);
    const straight = haversineM(CASINO, FONTVIEILLE);
    expect(r.distanceM).toBeGreaterThan(straight);
    expect(r.distanceM).toBeLessThan(3 * straight);
    expect(r.geometry.coordinates.length).toBeGreaterThan(20);
    // The geometry's own length is the reported distance (the path is drawn along the roads it measures).
    let drawn = 0;
    const line = r.geometry.coordinates;
    for (let i = 1; i < line.length; i++)
      drawn += haversineM({ lon: line[i - 1]![0], lat: line[i - 1]![1] }, { lon: line[i]![0], lat: line[i]![1] });
    expect(drawn).toBeCloseTo(r.distanceM, -1);
    // Every vertex lies on a road: each is within a metre of its own snap.
    for (const [lon, lat] of line.filter((_, i) => i % 5 === 0))
      expect((await router.nearest({ lat, lon })).distanceM).toBeLessThan(1);
    // City speeds: between 10 and 70 km/h on average.
    expect(r.distanceM / r.durationS).toBeGreaterThan(10 / 3.6);
    expect(r.distanceM / r.durationS).toBeLessThan(70 / 3.6);
  });

  it('measures the same road distances as OSRM on the same extract (the recorded 5×5 table)', async () => {
    const recording = (await loadRecordings()).find((r) => r.name === 'table-5x5')!;
    const points = recording.request.path
      .split('/')[4]!
      .split('?')[0]!
      .split(';')
      .map((pair) => {
        const [lon, lat] = pair.split(',').map(Number);
        return { lat: lat!, lon: lon! };
      });
    const osrm = (recording.response.body as { distances: number[][] }).distances;
    const ours = (await router.table(points, points)).distancesM;
    const gaps = osrm.flatMap((row, i) => row.flatMap((m, j) => (i === j ? [] : [Math.abs(ours[i]![j]! - m) / m])));
    // OSRM minimises time with turn penalties, so a few pairs take another (longer) way; most agree within 15 %.
    expect(gaps.filter((g) => g <= 0.15).length).toBeGreaterThanOrEqual(0.8 * gaps.length);
    expect(Math.max(...gaps)).toBeLessThan(0.5);
  });

  it('respects one-way streets: the two directions of a pair differ somewhere in the city', async () => {
    const points = [CASINO, FONTVIEILLE, DEMO_CENTER, { lat: 43.7467, lon: 7.4353 }, { lat: 43.7347, lon: 7.4221 }];
    const t = await router.table(points, points);
    const asymmetric = t.distancesM.some((row, i) =>
      row.some((cell, j) => Math.abs(cell! - t.distancesM[j]![i]!) > 20),
    );
    expect(asymmetric).toBe(true);
  });

  it('reports a drop far from every road as off the network, with its snap distance, like OSRM', async () => {
    const reach = await router.reachability(DEMO_CENTER, SEA_DROP);
    expect(reach).toMatchObject({ reachable: false, end: 'to', maxSnapDistanceM: 1000 });
    expect(reach.reachable === false && reach.snapDistanceM).toBeGreaterThan(1000);
    const error = await router.table([DEMO_CENTER, SEA_DROP], [DEMO_CENTER, SEA_DROP]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoSegmentError);
    expect((error as NoSegmentError).field).toBe('sources[1]');
    expect(isPointOffNetwork(error, SEA_DROP)).toBe(true);
    expect((error as NoSegmentError).snapDistanceM).toBeGreaterThan(1000);
    await expect(router.route(SEA_DROP, DEMO_CENTER)).rejects.toMatchObject({
      field: 'from',
      slug: 'routing.no_segment',
    });
    await expect(router.nearest({ lat: 48.8566, lon: 2.3522 })).rejects.toBeInstanceOf(NoSegmentError); // Paris
  });

  it('answers tables asked at the same time (interleaved at their yields) exactly as one after the other', async () => {
    const fresh = () => new RoadRouter(loadRoadGraph(MONACO_GRAPH), { pairCacheSize: 0 });
    const a = [
      CASINO,
      FONTVIEILLE,
      DEMO_CENTER,
      { lat: 43.7467, lon: 7.4353 },
      { lat: 43.7347, lon: 7.4221 },
      { lat: 43.7385, lon: 7.4196 },
    ];
    const b = [
      { lat: 43.747584, lon: 7.414834 },
      { lat: 43.735781, lon: 7.430171 },
      { lat: 43.730192, lon: 7.423735 },
      CASINO,
    ];
    const sequential = fresh();
    const expected = [
      await sequential.table(a, a),
      await sequential.table(b, b),
      await sequential.route(FONTVIEILLE, CASINO),
    ];
    const concurrent = fresh();
    expect(
      await Promise.all([concurrent.table(a, a), concurrent.table(b, b), concurrent.route(FONTVIEILLE, CASINO)]),
    ).toEqual(expected);
  });

  it('answers a repeated table from its pair cache with the same figures', async () => {
    const points = [CASINO, FONTVIEILLE, DEMO_CENTER];
    const first = await router.table(points, points);
    const t0 = performance.now();
    const second = await router.table(points, points);
    expect(second).toEqual(first);
    expect(performance.now() - t0).toBeLessThan(50);
  });
});

describe('RoadRouter on a tiny graph', () => {
  // A — B — C east-west along 43.7° N (~80 m per 0.001°); B → C is one-way, and D hangs north of B.
  const file: RoadGraphFile = {
    format: ROAD_GRAPH_FORMAT,
    attribution: 'test',
    source: 'test',
    sourceSha256: '',
    nodes: [7_400_000, 43_700_000, 7_401_000, 43_700_000, 7_402_000, 43_700_000, 7_401_000, 43_701_000],
    edges: [
      [0, 1, 3, 36, 80.4, []],
      [1, 2, 1, 36, 80.4, []],
      [1, 3, 3, 36, 111.2, []],
      [3, 2, 3, 36, 136.6, []],
    ],
  };
  const graph = parseRoadGraph(JSON.stringify(file));
  const on = (lon: number, lat = 43.7): LatLng => ({ lat, lon });

  it('goes straight along a one-way edge, and around it against its direction', async () => {
    const router = new RoadRouter(graph);
    const ahead = await router.route(on(7.4013), on(7.4017));
    expect(ahead.distanceM).toBeCloseTo(0.4 * 80.4, 0);
    expect(ahead.durationS).toBeCloseTo(ahead.distanceM / 10, 3);
    const back = await router.route(on(7.4017), on(7.4013));
    // C-ward to C, up to D, down to B, then along B → C again: 0.3·80.4 + 136.6 + 111.2 + 0.3·80.4.
    expect(back.distanceM).toBeCloseTo(0.6 * 80.4 + 136.6 + 111.2, 0);
    expect(back.geometry.coordinates[0]).toEqual([7.4017, 43.7]);
    expect(back.geometry.coordinates.at(-1)).toEqual([7.4013, 43.7]);
  });

  it('snaps onto the middle of an edge and honours the maximum snap distance', async () => {
    const router = new RoadRouter(graph, { maxSnapDistanceM: 50 });
    const n = await router.nearest({ lat: 43.7002, lon: 7.4005 });
    expect(n.point).toEqual({ lat: 43.7, lon: 7.4005 });
    expect(n.distanceM).toBeCloseTo(22.2, 0);
    expect(await router.reachability(on(7.4005), { lat: 43.7009, lon: 7.3995 })).toMatchObject({
      reachable: false,
      end: 'to',
    });
  });
});
