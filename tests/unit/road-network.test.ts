import { describe, expect, it } from 'vitest';
import { buildRoadNetwork, directionOf, isDrivable, speedOf, type OsmWay } from '../../data/road-network.ts';
import { parseRoadGraph } from '../../internal/routing/road-graph.ts';

describe('npm run roads: which OSM ways become roads', () => {
  it('keeps drivable highways a car may use, and nothing else', () => {
    for (const highway of ['motorway', 'primary_link', 'residential', 'service', 'living_street', 'unclassified'])
      expect(isDrivable({ highway })).toBe(true);
    for (const highway of ['footway', 'pedestrian', 'cycleway', 'steps', 'path', 'track'])
      expect(isDrivable({ highway })).toBe(false);
    expect(isDrivable(undefined)).toBe(false);
    expect(isDrivable({ highway: 'service', access: 'private' })).toBe(false);
    expect(isDrivable({ highway: 'residential', access: 'no', motor_vehicle: 'yes' })).toBe(true);
    expect(isDrivable({ highway: 'service', area: 'yes' })).toBe(false);
  });

  it('reads one-way rules: oneway tags, roundabouts and motorways', () => {
    expect(directionOf({ highway: 'residential' })).toBe(3);
    expect(directionOf({ highway: 'residential', oneway: 'yes' })).toBe(1);
    expect(directionOf({ highway: 'residential', oneway: '-1' })).toBe(2);
    expect(directionOf({ highway: 'primary', junction: 'roundabout' })).toBe(1);
    expect(directionOf({ highway: 'motorway' })).toBe(1);
    expect(directionOf({ highway: 'motorway', oneway: 'no' })).toBe(3);
  });

  it('takes the class speed, or a lower numeric maxspeed', () => {
    expect(speedOf({ highway: 'primary' })).toBe(65);
    expect(speedOf({ highway: 'primary', maxspeed: '50' })).toBe(50);
    expect(speedOf({ highway: 'residential', maxspeed: '90' })).toBe(25);
    expect(speedOf({ highway: 'primary', maxspeed: '20 mph' })).toBeCloseTo(32.2, 1);
    expect(speedOf({ highway: 'primary', maxspeed: 'signals' })).toBe(65);
  });
});

describe('npm run roads: the graph it builds', () => {
  // A square 1-2-3-4 of two-way streets with a one-way spur 4 → 5 (a dead end nobody can leave) and a footway.
  const coords = new Map<number, readonly [number, number]>([
    [1, [7.4, 43.7]],
    [2, [7.401, 43.7]],
    [3, [7.401, 43.701]],
    [4, [7.4, 43.701]],
    [5, [7.4, 43.702]],
    [6, [7.4005, 43.7005]],
  ]);
  const ways: OsmWay[] = [
    { id: 20, refs: [3, 4, 1], tags: { highway: 'residential', name: 'Rue B' } },
    { id: 10, refs: [1, 2, 3], tags: { highway: 'residential', name: 'Rue A' } },
    { id: 30, refs: [4, 5], tags: { highway: 'service', oneway: 'yes' } },
    { id: 40, refs: [1, 6], tags: { highway: 'footway' } },
  ];

  it('splits ways at junctions, keeps only the strongly connected streets, and is the same whatever the input order', () => {
    const built = buildRoadNetwork(ways, coords, { name: 'test.osm.pbf', sha256: 'x' });
    const again = buildRoadNetwork([...ways].reverse(), coords, { name: 'test.osm.pbf', sha256: 'x' });
    expect(JSON.stringify(again)).toBe(JSON.stringify(built));
    // Rue A (1-2-3) and Rue B (3-4-1) meet at 1 and 3: two edges; node 4 is a junction with the spur, so Rue B splits there.
    // The spur 4 → 5 is a trap (no way back) and is dropped.
    expect(built.stats).toMatchObject({ ways: 3, edges: 3, droppedEdges: 1 });
    const graph = parseRoadGraph(JSON.stringify(built.graph));
    expect(graph.nodes).toHaveLength(3);
    expect(graph.edges.every((e) => e.forward && e.backward)).toBe(true);
    // Rue A's edge keeps node 2 as geometry and measures both segments (~80 m + ~111 m).
    const rueA = graph.edges.find((e) => e.points.length === 3)!;
    expect(rueA.lengthM).toBeCloseTo(80.4 + 111.2, 0);
    expect(built.graph.attribution).toContain('OpenStreetMap');
  });

  it('draws every routed street plus the pedestrian ones, not footways', () => {
    const built = buildRoadNetwork([...ways, { id: 50, refs: [2, 6], tags: { highway: 'pedestrian' } }], coords, {
      name: 't',
      sha256: 'x',
    });
    expect(built.layer.features.map((f) => (f as { properties: { highway: string } }).properties.highway)).toEqual([
      'residential',
      'residential',
      'service',
      'pedestrian',
    ]);
  });
});
