import type { Registry } from 'prom-client';
import { CachedRouter, type CachedRouterOptions } from './cached-router.ts';
import { FallbackRouter, type RoutingLogger } from './fallback-router.ts';
import { OsrmRouter, type OsrmRouterOptions } from './osrm-router.ts';
import type { Router } from './router.ts';
import { StraightLineRouter, type StraightLineOptions } from './straight-line-router.ts';

export interface RoutingConfig {
  /** osrm-routed's base URL (`OSRM_URL`). Unset: the embedded straight-line router answers everything. */
  osrmUrl?: string | undefined;
  osrm?: Omit<OsrmRouterOptions, 'baseUrl'>;
  straightLine?: StraightLineOptions;
  /** Route/table cache in front of OSRM; `false` turns it off (benchmarks). */
  cache?: CachedRouterOptions | false;
}

/**
 * Builds the router an app uses: without `osrmUrl`, the straight-line router; with it,
 * `FallbackRouter(primary: CachedRouter(OsrmRouter), fallback: StraightLineRouter)` — the cache sits under the
 * fallback so that only real OSRM answers are cached.
 */
export function createRouter(config: RoutingConfig, deps: { registry: Registry; logger: RoutingLogger }): Router {
  const straightLine = new StraightLineRouter(config.straightLine);
  if (!config.osrmUrl) {
    deps.logger.info(
      { speedMps: straightLine.speedMps, detourFactor: straightLine.detourFactor },
      'routing: OSRM_URL unset, using the straight-line router',
    );
    return straightLine;
  }
  const osrm = new OsrmRouter({ ...config.osrm, baseUrl: config.osrmUrl });
  const primary = config.cache === false ? osrm : new CachedRouter(osrm, config.cache);
  // Log the host only: a URL may carry credentials.
  deps.logger.info({ osrm: new URL(config.osrmUrl).host }, 'routing: OSRM with straight-line fallback');
  return new FallbackRouter({ primary, fallback: straightLine, registry: deps.registry, logger: deps.logger });
}
