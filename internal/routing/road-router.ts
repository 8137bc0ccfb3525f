import Flatbush from 'flatbush';
import { LRUCache } from 'lru-cache';
import createGraph, { type Graph, type Link, type NodeId } from 'ngraph.graph';
import { nba, type PathFinder } from 'ngraph.path';
import { haversineM } from '../geo/haversine.ts';
import { localDistanceM, type RoadEdge, type RoadGraph } from './road-graph.ts';
import {
  assertLatLng,
  assertLatLngList,
  NoRouteError,
  NoSegmentError,
  type LatLng,
  type NearestResult,
  type Reachability,
  type RouteResult,
  type Router,
  type TableResult,
} from './router.ts';

export interface RoadRouterOptions {
  /** A point farther than this from every road is off the network (`NoSegmentError`), as with OSRM. Default 1000 m. */
  maxSnapDistanceM?: number;
  /** Table cells (source, destination pairs of snapped points) kept between calls. Default 200 000; 0 turns it off. */
  pairCacheSize?: number;
}

/** Where a point lands on the network: an edge and the metres along it from the edge's `from` node. */
interface Snap {
  edge: number;
  offsetM: number;
  /** The snapped position `[lon, lat]`. */
  at: [number, number];
  /** Metres between the input and `at`. */
  distanceM: number;
  /** Identifies the snapped position for the pair cache. */
  key: string;
}

interface NodeData {
  lon: number;
  lat: number;
}

/** A graph link: a whole edge in one direction, or (during a query) part of one from/to a query point. */
interface LinkData {
  edge: number;
  /** Metres along the edge where the link starts and ends (decreasing when it runs backward). */
  fromOffsetM: number;
  toOffsetM: number;
  durationS: number;
  distanceM: number;
}

interface PathAnswer {
  durationS: number;
  distanceM: number;
  links: LinkData[];
}

const RAD = Math.PI / 180;
const EARTH_RADIUS_M = 6_371_008.8;

/**
 * The embedded road router: route and table queries on a road graph built from OpenStreetMap by `npm run roads`
 * (data/<city>/graph.json), in process and without a server.
 *
 * - The graph is an ngraph.graph, oriented (one-way streets are links in one direction only); searches are
 *   ngraph.path's NBA* (bidirectional A*) on travel time, with the straight-line distance at the fastest edge speed as
 *   its (admissible) heuristic. One search per table cell: a 25×25 table costs a few hundred ms cold, which is why
 *   cells are cached.
 * - A point snaps to the nearest position on any edge (a Flatbush index over the edges' segments, in local metres),
 *   not only to a node; the query then starts mid-edge: the point joins the graph as a temporary node linked to the
 *   ends of its edge that the edge's direction allows (and directly to a destination on the same edge), removed once
 *   the query is answered. Queries are synchronous, so no other query ever sees those nodes.
 * - A point farther than `maxSnapDistanceM` from every road is off the network: `NoSegmentError` with its snap
 *   distance, as the OSRM adapter reports it; `reachability` answers `reachable: false` naming that end.
 * - Table cells are cached per pair of snapped positions (a dispatch round asks mostly the pairs of the previous one).
 */
export class RoadRouter implements Router {
  readonly maxSnapDistanceM: number;
  private readonly graph: Graph<NodeData, LinkData>;
  private readonly finder: PathFinder<NodeData>;
  private readonly edges: RoadEdge[];
  private readonly index: Flatbush;
  /** Segment i of the index is `segments[2i]`'s edge, starting at point `segments[2i + 1]`. */
  private readonly segments: Int32Array;
  private readonly lat0: number;
  private readonly pairs: LRUCache<string, { durationS: number; distanceM: number } | 'none'> | undefined;
  private readonly snaps = new LRUCache<string, Snap | { tooFarM: number; at: [number, number] }>({ max: 50_000 });
  private closed = false;
  /** Numbers each search's temporary nodes, so that searches interleaved at their yields never share one. */
  private queries = 0;

  constructor(
    readonly roads: RoadGraph,
    options: RoadRouterOptions = {},
  ) {
    this.maxSnapDistanceM = options.maxSnapDistanceM ?? 1000;
    const pairCacheSize = options.pairCacheSize ?? 200_000;
    this.pairs = pairCacheSize > 0 ? new LRUCache({ max: pairCacheSize }) : undefined;
    this.edges = roads.edges;
    this.lat0 = (roads.bbox[1] + roads.bbox[3]) / 2;
    this.graph = createGraph<NodeData, LinkData>();
    for (const [i, [lon, lat]] of roads.nodes.entries()) this.graph.addNode(i, { lon, lat });
    let fastest = 1;
    // One link per ordered pair of nodes (ngraph's plain graph keeps one): of two edges joining them, the faster.
    const best = new Map<string, LinkData & { from: number; to: number }>();
    const offer = (from: number, to: number, data: LinkData) => {
      const key = `${from}>${to}`;
      const existing = best.get(key);
      if (!existing || data.durationS < existing.durationS) best.set(key, { ...data, from, to });
    };
    this.edges.forEach((e, i) => {
      fastest = Math.max(fastest, e.speedMps);
      const durationS = e.lengthM / e.speedMps;
      if (e.from === e.to) return; // a loop only matters to points snapped onto it (query links)
      if (e.forward)
        offer(e.from, e.to, { edge: i, fromOffsetM: 0, toOffsetM: e.lengthM, durationS, distanceM: e.lengthM });
      if (e.backward)
        offer(e.to, e.from, { edge: i, fromOffsetM: e.lengthM, toOffsetM: 0, durationS, distanceM: e.lengthM });
    });
    for (const { from, to, ...data } of best.values()) this.graph.addLink(from, to, data);
    const fastestMps = fastest;
    this.finder = nba<NodeData, LinkData>(this.graph, {
      oriented: true,
      distance: (_a, _b, link) => link.data.durationS,
      heuristic: (a, b) => localDistanceM([a.data.lon, a.data.lat], [b.data.lon, b.data.lat]) / fastestMps,
    });

    const count = this.edges.reduce((n, e) => n + e.points.length - 1, 0);
    this.segments = new Int32Array(count * 2);
    this.index = new Flatbush(Math.max(1, count));
    let s = 0;
    this.edges.forEach((e, i) => {
      for (let j = 0; j + 1 < e.points.length; j++) {
        const [ax, ay] = this.project(e.points[j]!);
        const [bx, by] = this.project(e.points[j + 1]!);
        this.index.add(Math.min(ax, bx), Math.min(ay, by), Math.max(ax, bx), Math.max(ay, by));
        this.segments[2 * s] = i;
        this.segments[2 * s + 1] = j;
        s += 1;
      }
    });
    if (count === 0) this.index.add(0, 0, 0, 0);
    this.index.finish();
  }

  async route(from: LatLng, to: LatLng): Promise<RouteResult> {
    assertLatLng(from, 'from');
    assertLatLng(to, 'to');
    const a = this.snapOrThrow(from, 'from');
    const b = this.snapOrThrow(to, 'to');
    if (a.key === b.key)
      return { distanceM: 0, durationS: 0, geometry: { type: 'LineString', coordinates: [a.at, b.at] } };
    const answer = (await this.search([a], [b], true))[0]![0];
    if (!answer) throw new NoRouteError('no road route between from and to');
    const coordinates: Array<[number, number]> = [a.at];
    for (const link of answer.links) {
      for (const p of this.slice(link.edge, link.fromOffsetM, link.toOffsetM).slice(1)) coordinates.push(p);
    }
    if (coordinates.length < 2) coordinates.push(b.at);
    return { distanceM: answer.distanceM, durationS: answer.durationS, geometry: { type: 'LineString', coordinates } };
  }

  async table(sources: readonly LatLng[], destinations: readonly LatLng[]): Promise<TableResult> {
    assertLatLngList(sources, 'sources');
    assertLatLngList(destinations, 'destinations');
    const src = sources.map((p, i) => this.snapOrThrow(p, `sources[${i}]`));
    const dst = destinations.map((p, j) => this.snapOrThrow(p, `destinations[${j}]`));
    const durationsS = src.map(() => new Array<number | null>(dst.length).fill(null));
    const distancesM = src.map(() => new Array<number | null>(dst.length).fill(null));
    // Cells not cached yet, grouped by source, then searched with every query point in the graph at once.
    const missing: Array<[number, number]> = [];
    src.forEach((a, i) => {
      dst.forEach((b, j) => {
        if (a.key === b.key) {
          durationsS[i]![j] = 0;
          distancesM[i]![j] = 0;
          return;
        }
        const hit = this.pairs?.get(`${a.key}|${b.key}`);
        if (hit === undefined) missing.push([i, j]);
        else if (hit !== 'none') {
          durationsS[i]![j] = hit.durationS;
          distancesM[i]![j] = hit.distanceM;
        }
      });
    });
    if (missing.length > 0) {
      const rows = [...new Set(missing.map(([i]) => i))];
      const cols = [...new Set(missing.map(([, j]) => j))];
      const answers = await this.search(
        rows.map((i) => src[i]!),
        cols.map((j) => dst[j]!),
        false,
        new Set(missing.map(([i, j]) => `${rows.indexOf(i)},${cols.indexOf(j)}`)),
      );
      rows.forEach((i, r) => {
        cols.forEach((j, c) => {
          if (src[i]!.key === dst[j]!.key || durationsS[i]![j] !== null) return;
          const answer = answers[r]![c];
          if (answer === undefined) return; // not asked (cached as none, or not missing)
          this.pairs?.set(
            `${src[i]!.key}|${dst[j]!.key}`,
            answer ? { durationS: answer.durationS, distanceM: answer.distanceM } : 'none',
          );
          if (answer) {
            durationsS[i]![j] = answer.durationS;
            distancesM[i]![j] = answer.distanceM;
          }
        });
      });
    }
    return { durationsS, distancesM };
  }

  async nearest(point: LatLng): Promise<NearestResult> {
    assertLatLng(point, 'point');
    const snap = this.snapOrThrow(point, 'point');
    return { point: { lon: snap.at[0], lat: snap.at[1] }, distanceM: snap.distanceM };
  }

  async reachability(from: LatLng, to: LatLng): Promise<Reachability> {
    assertLatLng(from, 'from');
    assertLatLng(to, 'to');
    const ends = [
      ['from', this.snap(from)],
      ['to', this.snap(to)],
    ] as const;
    const far = ends
      .filter(([, s]) => 'tooFarM' in s)
      .sort(([, a], [, b]) => (b as { tooFarM: number }).tooFarM - (a as { tooFarM: number }).tooFarM)[0];
    if (far) {
      const snap = (far[1] as { tooFarM: number }).tooFarM;
      return {
        reachable: false,
        end: far[0],
        reason: tooFarFromRoad(snap, this.maxSnapDistanceM),
        snapDistanceM: snap,
        maxSnapDistanceM: this.maxSnapDistanceM,
      };
    }
    const [a, b] = [ends[0][1] as Snap, ends[1][1] as Snap];
    if (a.key === b.key) return { reachable: true };
    const answer = (await this.search([a], [b], false))[0]![0];
    return answer ? { reachable: true } : { reachable: false, reason: 'no road route between them' };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.pairs?.clear();
    this.snaps.clear();
  }

  /** Local metres east/north of the graph's mean latitude: distances in the index are then (nearly) metres. */
  private project([lon, lat]: readonly [number, number]): [number, number] {
    return [lon * RAD * Math.cos(this.lat0 * RAD) * EARTH_RADIUS_M, lat * RAD * EARTH_RADIUS_M];
  }

  private snapOrThrow(point: LatLng, field: string): Snap {
    const snap = this.snap(point);
    if ('tooFarM' in snap) {
      throw new NoSegmentError(field, tooFarFromRoad(snap.tooFarM, this.maxSnapDistanceM), {
        point,
        snapDistanceM: snap.tooFarM,
        maxSnapDistanceM: this.maxSnapDistanceM,
      });
    }
    return snap;
  }

  /**
   * The nearest position on any edge: the nearest segment by bounding box gives an upper bound on the distance, then
   * every segment whose box lies within that bound is measured exactly.
   */
  private snap(point: LatLng): Snap | { tooFarM: number; at: [number, number] } {
    if (this.closed) throw new Error('RoadRouter is closed');
    const cacheKey = `${point.lon},${point.lat}`;
    const cached = this.snaps.get(cacheKey);
    if (cached) return cached;
    const [x, y] = this.project([point.lon, point.lat]);
    const first = this.index.neighbors(x, y, 1)[0];
    if (first === undefined) return { tooFarM: Infinity, at: [point.lon, point.lat] };
    const bound = this.segmentDistance(first, x, y).distance + 1e-6;
    let best = { segment: first, ...this.segmentDistance(first, x, y) };
    for (const s of this.index.search(x - bound, y - bound, x + bound, y + bound)) {
      const d = this.segmentDistance(s, x, y);
      // Ties go to the lowest segment number: the same point always snaps the same way.
      if (d.distance < best.distance - 1e-9 || (Math.abs(d.distance - best.distance) <= 1e-9 && s < best.segment))
        best = { segment: s, ...d };
    }
    const edgeIndex = this.segments[2 * best.segment]!;
    const j = this.segments[2 * best.segment + 1]!;
    const edge = this.edges[edgeIndex]!;
    const [a, b] = [edge.points[j]!, edge.points[j + 1]!];
    const at: [number, number] = [round7(a[0] + (b[0] - a[0]) * best.t), round7(a[1] + (b[1] - a[1]) * best.t)];
    const offsetM = edge.cumulative[j]! + (edge.cumulative[j + 1]! - edge.cumulative[j]!) * best.t;
    const distanceM = haversineM(point, { lon: at[0], lat: at[1] });
    const snap =
      distanceM > this.maxSnapDistanceM
        ? { tooFarM: distanceM, at }
        : { edge: edgeIndex, offsetM, at, distanceM, key: `${edgeIndex}:${offsetM.toFixed(1)}` };
    this.snaps.set(cacheKey, snap);
    return snap;
  }

  private segmentDistance(segment: number, x: number, y: number): { distance: number; t: number } {
    const edge = this.edges[this.segments[2 * segment]!]!;
    const j = this.segments[2 * segment + 1]!;
    const [ax, ay] = this.project(edge.points[j]!);
    const [bx, by] = this.project(edge.points[j + 1]!);
    const dx = bx - ax;
    const dy = by - ay;
    const len2 = dx * dx + dy * dy;
    const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / len2));
    return { distance: Math.hypot(ax + t * dx - x, ay + t * dy - y), t };
  }

  /**
   * Fastest paths from every source to every destination (`only` limits the pairs searched, as "row,col"). The query
   * points join the graph as temporary nodes named for this query: a source only has links out, a destination only
   * links in, so no path passes through another query point — this query's or a concurrent one's. That lets a long
   * table yield to the event loop every few milliseconds (the API shares the process) while other queries run.
   * `null`: no path; `undefined`: not asked.
   */
  private async search(
    sources: readonly Snap[],
    destinations: readonly Snap[],
    withLinks: boolean,
    only?: Set<string>,
  ): Promise<Array<Array<PathAnswer | null | undefined>>> {
    const g = this.graph;
    this.queries = (this.queries + 1) % Number.MAX_SAFE_INTEGER;
    const q = this.queries;
    const sId = (i: number) => `q${q}s${i}`;
    const dId = (j: number) => `q${q}d${j}`;
    const added: NodeId[] = [];
    const addLinks = (id: NodeId, at: [number, number], links: Array<[NodeId, NodeId, LinkData]>) => {
      g.addNode(id, { lon: at[0], lat: at[1] });
      added.push(id);
      // Two links between the same pair (a loop edge): keep the shorter.
      const best = new Map<string, [NodeId, NodeId, LinkData]>();
      for (const l of links) {
        const k = `${l[0]}>${l[1]}`;
        const seen = best.get(k);
        if (!seen || l[2].durationS < seen[2].durationS) best.set(k, l);
      }
      for (const [a, b, data] of best.values()) g.addLink(a, b, data);
    };
    const part = (edge: number, fromOffsetM: number, toOffsetM: number): LinkData => {
      const e = this.edges[edge]!;
      const distanceM = Math.abs(toOffsetM - fromOffsetM);
      return { edge, fromOffsetM, toOffsetM, distanceM, durationS: distanceM / e.speedMps };
    };
    try {
      sources.forEach((s, i) => {
        const e = this.edges[s.edge]!;
        const links: Array<[NodeId, NodeId, LinkData]> = [];
        if (e.forward) links.push([sId(i), e.to, part(s.edge, s.offsetM, e.lengthM)]);
        if (e.backward) links.push([sId(i), e.from, part(s.edge, s.offsetM, 0)]);
        addLinks(sId(i), s.at, links);
      });
      destinations.forEach((d, j) => {
        const e = this.edges[d.edge]!;
        const links: Array<[NodeId, NodeId, LinkData]> = [];
        if (e.forward) links.push([e.from, dId(j), part(d.edge, 0, d.offsetM)]);
        if (e.backward) links.push([e.to, dId(j), part(d.edge, e.lengthM, d.offsetM)]);
        sources.forEach((s, i) => {
          if (s.edge !== d.edge) return;
          // Both on one edge: straight along it when its direction allows.
          if ((e.forward && d.offsetM >= s.offsetM) || (e.backward && d.offsetM <= s.offsetM))
            links.push([sId(i), dId(j), part(d.edge, s.offsetM, d.offsetM)]);
        });
        addLinks(dId(j), d.at, links);
      });
      const answers: Array<Array<PathAnswer | null | undefined>> = [];
      let sliceStart = performance.now();
      for (let i = 0; i < sources.length; i++) {
        const row: Array<PathAnswer | null | undefined> = [];
        answers.push(row);
        for (let j = 0; j < destinations.length; j++) {
          if (only && !only.has(`${i},${j}`)) {
            row.push(undefined);
            continue;
          }
          if (performance.now() - sliceStart > YIELD_EVERY_MS) {
            await new Promise((resolve) => setImmediate(resolve));
            sliceStart = performance.now();
          }
          const nodes = this.finder.find(sId(i), dId(j)); // target first, source last (ngraph.path's order)
          if (nodes.length === 0) {
            row.push(null);
            continue;
          }
          let durationS = 0;
          let distanceM = 0;
          const links: LinkData[] = [];
          for (let k = nodes.length - 1; k > 0; k--) {
            const link = g.getLink(nodes[k]!.id, nodes[k - 1]!.id) as Link<LinkData>;
            durationS += link.data.durationS;
            distanceM += link.data.distanceM;
            if (withLinks) links.push(link.data);
          }
          row.push({ durationS, distanceM, links });
        }
      }
      return answers;
    } finally {
      for (const id of added) g.removeNode(id);
    }
  }

  /** The edge's geometry between two offsets, in travel order (`from` > `to` runs backward). */
  private slice(edgeIndex: number, fromM: number, toM: number): Array<[number, number]> {
    const e = this.edges[edgeIndex]!;
    const at = (m: number): [number, number] => {
      let j = 0;
      while (j + 2 < e.cumulative.length && e.cumulative[j + 1]! < m) j++;
      const span = e.cumulative[j + 1]! - e.cumulative[j]!;
      const t = span > 0 ? Math.max(0, Math.min(1, (m - e.cumulative[j]!) / span)) : 0;
      const [a, b] = [e.points[j]!, e.points[j + 1]!];
      return [round7(a[0] + (b[0] - a[0]) * t), round7(a[1] + (b[1] - a[1]) * t)];
    };
    const [lo, hi] = fromM <= toM ? [fromM, toM] : [toM, fromM];
    const inner = e.points.filter((_, i) => e.cumulative[i]! > lo && e.cumulative[i]! < hi);
    const out = [at(lo), ...inner, at(hi)];
    return fromM <= toM ? out : out.reverse();
  }
}

/** Milliseconds of searching between two yields to the event loop in a table. */
const YIELD_EVERY_MS = 8;

const round7 = (v: number) => Math.round(v * 1e7) / 1e7;
const tooFarFromRoad = (distanceM: number, maxM: number) =>
  `nearest road is ${Math.round(distanceM)} m away (more than ${maxM} m)`;
