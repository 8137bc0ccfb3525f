import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { PROJECT_ROOT } from '../platform/project-root.ts';
import { MeteredRouter, routingMetrics } from './routing-metrics.ts';
import { CachedRouter, type CachedRouterOptions } from './cached-router.ts';
import { FallbackRouter, type RoutingLogger } from './fallback-router.ts';
import { OsrmRouter, type OsrmRouterOptions } from './osrm-router.ts';
import { loadRoadGraph, type RoadGraph } from './road-graph.ts';
import { RoadRouter, type RoadRouterOptions } from './road-router.ts';
import type { LatLng, Router } from './router.ts';
import { StraightLineRouter, type StraightLineOptions } from './straight-line-router.ts';

export interface RoutingConfig {
  /** osrm-routed's base URL (`OSRM_URL`). Unset: the embedded straight-line router answers everything. */
  osrmUrl?: string | undefined;
  osrm?: Omit<OsrmRouterOptions, 'baseUrl'>;
  straightLine?: StraightLineOptions;
  /** Route/table cache in front of OSRM; `false` turns it off (benchmarks). */
  cache?: CachedRouterOptions | false;
  /**
   * `ROUTER`: `auto` (default) — OSRM when `osrmUrl` is set, else the road graph when `roadsAt` lies on it, else the
   * straight line; `road` — the embedded road router on `roadsDir`'s graph, always; `straight-line` — always.
   */
  mode?: RouterMode;
  /** Where `npm run roads` wrote the city's graph (`ROADS_DIR`); default data/monaco, the demo city's. */
  roadsDir?: string | undefined;
  /**
   * The city the process serves (`npm start`'s demo centre): in `auto` mode, without OSRM, the road router is chosen
   * when this point lies within the graph's bounds. Unset (the API or the worker alone): straight line.
   */
  roadsAt?: LatLng | undefined;
  road?: RoadRouterOptions;
}

/** The `ROUTER` choice. */
export type RouterMode = 'auto' | 'road' | 'straight-line';

/** Which router `selectRouter` built. */
export type RouterKind = 'osrm' | 'road' | 'straight-line';

/** The demo city's road data (committed; `npm run roads` rebuilds it). */
export const DEFAULT_ROADS_DIR = join(PROJECT_ROOT, 'data', 'monaco');

/** The graph file in a roads directory. */
export const roadGraphPath = (roadsDir: string | undefined): string =>
  join(roadsDir ?? DEFAULT_ROADS_DIR, 'graph.json');

/** The drawing layer in a roads directory. */
export const roadLayerPath = (roadsDir: string | undefined): string =>
  join(roadsDir ?? DEFAULT_ROADS_DIR, 'roads.geojson');

/** Graphs already parsed, by path: a process that builds several routers (tests, `npm start`) parses each once. */
const graphs = new Map<string, RoadGraph>();
function graphAt(path: string): RoadGraph {
  let graph = graphs.get(path);
  if (!graph) {
    graph = loadRoadGraph(path);
    graphs.set(path, graph);
  }
  return graph;
}

const inside = (bbox: readonly [number, number, number, number], p: LatLng) =>
  p.lon >= bbox[0] && p.lon <= bbox[2] && p.lat >= bbox[1] && p.lat <= bbox[3];

/**
 * Builds the router an app uses (see `selectRouter` for the embedded road router): without `osrmUrl`, the
 * straight-line router; with it,
 * `FallbackRouter(primary: CachedRouter(OsrmRouter), fallback: StraightLineRouter)` — the cache sits under the
 * fallback so that only real OSRM answers are cached.
 */
export function createRouter(config: RoutingConfig, deps: { registry: Registry; logger: RoutingLogger }): Router {
  return selectRouter(config, deps).router;
}

/**
 * `createRouter`, also saying which router it built. Without OSRM: the road router when `mode` is `road`, or `auto`
 * with `roadsAt` inside the graph (a missing graph then means straight line, logged); else the straight line.
 */
export function selectRouter(
  config: RoutingConfig,
  deps: { registry: Registry; logger: RoutingLogger },
): { router: Router; kind: RouterKind } {
  routingMetrics(deps.registry); // the names exist whichever router runs, so one dashboard fits every set-up
  const mode = config.mode ?? 'auto';
  const straightLine = new StraightLineRouter(config.straightLine);
  if (mode === 'straight-line') {
    deps.logger.info(
      { speedMps: straightLine.speedMps, detourFactor: straightLine.detourFactor },
      'routing: ROUTER=straight-line',
    );
    return { router: straightLine, kind: 'straight-line' };
  }
  if (mode === 'road' || (!config.osrmUrl && config.roadsAt)) {
    const path = roadGraphPath(config.roadsDir);
    if (mode === 'road' || existsSync(path)) {
      const graph = graphAt(path); // ROUTER=road with no graph fails here, at start-up, naming the file
      if (mode === 'road' || inside(graph.bbox, config.roadsAt!)) {
        deps.logger.info(
          { graph: path, nodes: graph.nodes.length, edges: graph.edges.length },
          'routing: embedded road router on the OpenStreetMap graph',
        );
        return { router: new RoadRouter(graph, config.road), kind: 'road' };
      }
      deps.logger.info(
        { graph: path },
        'routing: the city lies outside the road graph, using the straight-line router',
      );
    } else {
      deps.logger.info(
        { graph: path },
        'routing: no road graph (npm run roads builds one), using the straight-line router',
      );
    }
  }
  if (!config.osrmUrl) {
    deps.logger.info(
      { speedMps: straightLine.speedMps, detourFactor: straightLine.detourFactor },
      'routing: OSRM_URL unset, using the straight-line router',
    );
    return { router: straightLine, kind: 'straight-line' };
  }
  const osrm = new MeteredRouter(new OsrmRouter({ ...config.osrm, baseUrl: config.osrmUrl }), deps.registry);
  const lookups = routingMetrics(deps.registry).cacheLookups;
  const primary =
    config.cache === false
      ? osrm
      : new CachedRouter(osrm, { ...config.cache, onLookup: (hit) => lookups.inc({ result: hit ? 'hit' : 'miss' }) });
  // Log the host only: a URL may carry credentials.
  deps.logger.info({ osrm: new URL(config.osrmUrl).host }, 'routing: OSRM with straight-line fallback');
  return {
    router: new FallbackRouter({ primary, fallback: straightLine, registry: deps.registry, logger: deps.logger }),
    kind: 'osrm',
  };
}
