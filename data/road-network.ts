/**
 * The pure half of `npm run roads`: OSM ways and node positions in, the committed road graph and road layer out.
 * build-roads.ts reads the .pbf and writes the files; everything here is deterministic (sorted by OSM id, fixed
 * rounding), so the same extract always gives byte-identical artefacts.
 */
import simplify from 'simplify-js';
import { haversineM } from '../internal/geo/haversine.ts';
import { ROAD_GRAPH_FORMAT, type RoadGraphFile } from '../internal/routing/road-graph.ts';

/** One OSM way as the parser gives it (tags optional). */
export interface OsmWay {
  id: number;
  refs: number[];
  tags?: Record<string, string>;
}

/**
 * Car speeds (km/h) by highway class, close to OSRM's car profile: what a scooter or car averages in a city street
 * of that class. A `maxspeed` tag lower than this wins.
 */
export const SPEED_KMH: Readonly<Record<string, number>> = {
  motorway: 90,
  motorway_link: 45,
  trunk: 85,
  trunk_link: 40,
  primary: 65,
  primary_link: 30,
  secondary: 55,
  secondary_link: 25,
  tertiary: 40,
  tertiary_link: 20,
  unclassified: 25,
  residential: 25,
  living_street: 10,
  service: 15,
};

/** Streets drawn on the map but never routed on (riders do not ride them; they show the city's shape). */
const DRAWN_ONLY = new Set(['pedestrian']);

const NO_ACCESS = new Set(['no', 'private']);

/** Whether a car (the car profile's notion; scooters follow the same rules) may use the way at all. */
export function isDrivable(tags: Record<string, string> | undefined): boolean {
  if (!tags?.highway || !(tags.highway in SPEED_KMH)) return false;
  if (tags.area === 'yes') return false;
  const access = tags.motor_vehicle ?? tags.motorcar ?? tags.access;
  return access === undefined || !NO_ACCESS.has(access);
}

/** 1 = forward only (way order), 2 = backward only, 3 = both; motorways and roundabouts are one-way by default. */
export function directionOf(tags: Record<string, string>): 1 | 2 | 3 {
  const oneway = tags.oneway;
  if (oneway === '-1' || oneway === 'reverse') return 2;
  if (oneway === 'yes' || oneway === 'true' || oneway === '1') return 1;
  if (oneway === 'no' || oneway === 'false' || oneway === '0') return 3;
  if (tags.junction === 'roundabout' || tags.junction === 'circular' || tags.highway === 'motorway') return 1;
  return 3;
}

/** The way's speed: the class default, or a lower numeric `maxspeed` (km/h; "30 mph" converted). */
export function speedOf(tags: Record<string, string>): number {
  const base = SPEED_KMH[tags.highway!]!;
  const match = /^(\d+(?:\.\d+)?)\s*(mph)?$/.exec(tags.maxspeed?.trim() ?? '');
  if (!match) return base;
  const limit = Number(match[1]) * (match[2] ? 1.609344 : 1);
  return limit > 0 ? Math.min(base, limit) : base;
}

/** Which ways the builder wants: drivable ones for the graph, plus the drawn-only classes for the layer. */
export function isWanted(tags: Record<string, string> | undefined): boolean {
  return isDrivable(tags) || (tags?.highway !== undefined && DRAWN_ONLY.has(tags.highway) && tags.area !== 'yes');
}

const micro = (deg: number) => Math.round(deg * 1e6);

interface Built {
  graph: RoadGraphFile;
  layer: { type: 'FeatureCollection'; features: unknown[] };
  stats: { ways: number; nodes: number; edges: number; droppedEdges: number; layerFeatures: number };
}

/**
 * Builds the road graph and the drawing layer.
 *
 * Graph: every OSM node where drivable ways meet (or a way ends) is a graph node; the nodes in between become the
 * edge's geometry. Edges carry their length (metres, along the geometry), speed and direction. Only the largest
 * strongly connected part is kept: a street cut by the extract's border (a one-way road leaving the city) would
 * otherwise trap a route, and a point is better snapped to a road that leads somewhere.
 *
 * Layer: the routed streets plus pedestrian streets, simplified (~1 m) and rounded to 1e-5° for drawing.
 */
export function buildRoadNetwork(ways: readonly OsmWay[], coords: ReadonlyMap<number, readonly [number, number]>, source: { name: string; sha256: string }): Built {
  const sorted = [...ways].sort((a, b) => a.id - b.id);
  const drivable = sorted.filter((w) => isDrivable(w.tags) && w.refs.every((r) => coords.has(r)) && w.refs.length >= 2);

  // A node is a graph node where ways meet or end: counted by appearances (a closed way's first node counts twice).
  const uses = new Map<number, number>();
  for (const way of drivable) {
    way.refs.forEach((ref, i) => uses.set(ref, (uses.get(ref) ?? 0) + (i === 0 || i === way.refs.length - 1 ? 2 : 1)));
  }

  interface RawEdge {
    from: number;
    to: number;
    dir: 1 | 2 | 3;
    speed: number;
    refs: number[];
  }
  const raw: RawEdge[] = [];
  for (const way of drivable) {
    const tags = way.tags!;
    const dir = directionOf(tags);
    const speed = speedOf(tags);
    let start = 0;
    for (let i = 1; i < way.refs.length; i++) {
      if (i === way.refs.length - 1 || (uses.get(way.refs[i]!) ?? 0) > 1) {
        const refs = way.refs.slice(start, i + 1);
        if (refs.length >= 2 && !(refs.length === 2 && refs[0] === refs[1])) raw.push({ from: refs[0]!, to: refs.at(-1)!, dir, speed, refs });
        start = i;
      }
    }
  }

  // Largest strongly connected component: forward and backward reachability from the best-connected node.
  const out = new Map<number, number[]>();
  const inn = new Map<number, number[]>();
  const link = (m: Map<number, number[]>, a: number, b: number) => {
    let list = m.get(a);
    if (!list) m.set(a, (list = []));
    list.push(b);
  };
  for (const e of raw) {
    if (e.dir & 1) (link(out, e.from, e.to), link(inn, e.to, e.from));
    if (e.dir & 2) (link(out, e.to, e.from), link(inn, e.from, e.to));
  }
  const reach = (seed: number, adjacency: Map<number, number[]>) => {
    const seen = new Set([seed]);
    const stack = [seed];
    while (stack.length > 0) for (const next of adjacency.get(stack.pop()!) ?? []) if (!seen.has(next)) (seen.add(next), stack.push(next));
    return seen;
  };
  let keep = new Set<number>();
  const tried = new Set<number>();
  // The hub candidates in a fixed order (most links, then lowest id): the first few nearly always find the main part.
  const candidates = [...out.keys()].sort((a, b) => (out.get(b)!.length - out.get(a)!.length) || a - b);
  for (const seed of candidates.slice(0, 20)) {
    if (tried.has(seed)) continue;
    const forward = reach(seed, out);
    const backward = reach(seed, inn);
    const scc = new Set([...forward].filter((n) => backward.has(n)));
    for (const n of scc) tried.add(n);
    if (scc.size > keep.size) keep = scc;
  }
  const kept = raw.filter((e) => keep.has(e.from) && keep.has(e.to));

  const index = new Map<number, number>();
  const nodes: number[] = [];
  const idOf = (ref: number) => {
    let i = index.get(ref);
    if (i === undefined) {
      i = index.size;
      index.set(ref, i);
      const [lon, lat] = coords.get(ref)!;
      nodes.push(micro(lon), micro(lat));
    }
    return i;
  };
  const edges: RoadGraphFile['edges'] = kept.map((e) => {
    const points = e.refs.map((r) => coords.get(r)!);
    let length = 0;
    for (let i = 1; i < points.length; i++) length += haversineM({ lon: points[i - 1]![0], lat: points[i - 1]![1] }, { lon: points[i]![0], lat: points[i]![1] });
    const inner = points.slice(1, -1).flatMap(([lon, lat]) => [micro(lon), micro(lat)]);
    return [idOf(e.from), idOf(e.to), e.dir, Math.round(e.speed * 10) / 10, Math.round(length * 10) / 10, inner];
  });

  const features = sorted
    .filter((w) => isWanted(w.tags) && w.refs.every((r) => coords.has(r)) && w.refs.length >= 2)
    .map((w) => {
      const simplified = simplify(
        w.refs.map((r) => ({ x: coords.get(r)![0], y: coords.get(r)![1] })),
        0.00001,
        true,
      );
      return {
        type: 'Feature',
        properties: { highway: w.tags!.highway, ...(w.tags!.name ? { name: w.tags!.name } : {}) },
        geometry: { type: 'LineString', coordinates: simplified.map((p) => [Math.round(p.x * 1e5) / 1e5, Math.round(p.y * 1e5) / 1e5]) },
      };
    });

  return {
    graph: {
      format: ROAD_GRAPH_FORMAT,
      attribution: '© OpenStreetMap contributors, ODbL 1.0',
      source: source.name,
      sourceSha256: source.sha256,
      nodes,
      edges,
    },
    layer: { type: 'FeatureCollection', features },
    stats: { ways: drivable.length, nodes: nodes.length / 2, edges: edges.length, droppedEdges: raw.length - kept.length, layerFeatures: features.length },
  };
}
