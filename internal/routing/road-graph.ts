import { readFileSync } from 'node:fs';
import { z } from 'zod';

/** The `format` word of a road graph file; a reader refuses any other. */
export const ROAD_GRAPH_FORMAT = 'deliverygo-road-graph/1';

/**
 * A road graph as `npm run roads` writes it (data/<city>/graph.json).
 *
 * `nodes` is flat: `[lon0, lat0, lon1, lat1, …]` in micro-degrees (integers). Each edge is
 * `[from, to, direction, speedKmh, lengthM, inner]`: node indices, 1 = drivable from → to only, 2 = to → from only,
 * 3 = both; `inner` the geometry between the two nodes, flat micro-degrees as `nodes`.
 */
export interface RoadGraphFile {
  format: typeof ROAD_GRAPH_FORMAT;
  attribution: string;
  source: string;
  sourceSha256: string;
  nodes: number[];
  edges: Array<[number, number, 1 | 2 | 3, number, number, number[]]>;
}

const fileSchema = z.object({
  format: z.literal(ROAD_GRAPH_FORMAT),
  attribution: z.string(),
  source: z.string(),
  sourceSha256: z.string(),
  nodes: z.array(z.number().int()),
  edges: z.array(
    z.tuple([
      z.number().int().min(0),
      z.number().int().min(0),
      z.union([z.literal(1), z.literal(2), z.literal(3)]),
      z.number().positive(),
      z.number().min(0),
      z.array(z.number().int()),
    ]),
  ),
});

/** One edge ready for routing: its full geometry (from node to to node) and cumulative lengths along it. */
export interface RoadEdge {
  from: number;
  to: number;
  forward: boolean;
  backward: boolean;
  speedMps: number;
  lengthM: number;
  /** `[lon, lat]` positions from the `from` node to the `to` node. */
  points: Array<[number, number]>;
  /** `cumulative[i]`: metres from the start of the edge to `points[i]` (scaled so the last equals `lengthM`). */
  cumulative: number[];
}

/** A loaded road graph. */
export interface RoadGraph {
  /** Node positions, `[lon, lat]` in degrees. */
  nodes: Array<[number, number]>;
  edges: RoadEdge[];
  attribution: string;
  source: string;
  /** `[minLon, minLat, maxLon, maxLat]` of the nodes. */
  bbox: [number, number, number, number];
}

/** Parses and validates a graph file's JSON text; throws naming the problem. */
export function parseRoadGraph(text: string): RoadGraph {
  const file = fileSchema.parse(JSON.parse(text));
  if (file.nodes.length % 2 !== 0) throw new Error('road graph: nodes must hold lon, lat pairs');
  const nodes: Array<[number, number]> = [];
  for (let i = 0; i < file.nodes.length; i += 2) nodes.push([file.nodes[i]! / 1e6, file.nodes[i + 1]! / 1e6]);
  const edges = file.edges.map(([from, to, dir, speedKmh, lengthM, inner]): RoadEdge => {
    if (from >= nodes.length || to >= nodes.length)
      throw new Error(`road graph: edge ${from}→${to} names a missing node`);
    const points: Array<[number, number]> = [nodes[from]!];
    for (let i = 0; i + 1 < inner.length; i += 2) points.push([inner[i]! / 1e6, inner[i + 1]! / 1e6]);
    points.push(nodes[to]!);
    const cumulative = [0];
    for (let i = 1; i < points.length; i++)
      cumulative.push(cumulative[i - 1]! + localDistanceM(points[i - 1]!, points[i]!));
    // The file's length (haversine over the full-precision points) is the truth; the local sum only places offsets.
    const scale = cumulative.at(-1)! > 0 ? lengthM / cumulative.at(-1)! : 0;
    return {
      from,
      to,
      forward: (dir & 1) !== 0,
      backward: (dir & 2) !== 0,
      speedMps: speedKmh / 3.6,
      lengthM,
      points,
      cumulative: cumulative.map((c) => c * scale),
    };
  });
  let [minLon, minLat, maxLon, maxLat] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [lon, lat] of nodes) {
    minLon = Math.min(minLon, lon);
    minLat = Math.min(minLat, lat);
    maxLon = Math.max(maxLon, lon);
    maxLat = Math.max(maxLat, lat);
  }
  return { nodes, edges, attribution: file.attribution, source: file.source, bbox: [minLon, minLat, maxLon, maxLat] };
}

/** Reads a graph file (data/<city>/graph.json). */
export function loadRoadGraph(path: string): RoadGraph {
  return parseRoadGraph(readFileSync(path, 'utf8'));
}

const EARTH_RADIUS_M = 6_371_008.8;
const RAD = Math.PI / 180;

/** Equirectangular distance: within a city it matches the great circle to well under a centimetre per segment. */
export function localDistanceM(a: readonly [number, number], b: readonly [number, number]): number {
  const x = (b[0] - a[0]) * RAD * Math.cos(((a[1] + b[1]) / 2) * RAD);
  const y = (b[1] - a[1]) * RAD;
  return Math.sqrt(x * x + y * y) * EARTH_RADIUS_M;
}
