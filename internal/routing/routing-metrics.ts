import { Counter, Gauge, type Registry } from 'prom-client';
import { RoutingUnavailableError, type LatLng, type Router } from './router.ts';

/** The routing metrics of one registry (the fallback counter lives in fallback-router.ts). */
export interface RoutingMetrics {
  osrmRequests: Counter<'operation' | 'outcome'>;
  cacheLookups: Counter<'result'>;
  cacheHitRatio: Gauge;
  fallbackActive: Gauge;
}

const byRegistry = new WeakMap<Registry, RoutingMetrics>();

/** The routing metrics registered in `registry` (created on first call). */
export function routingMetrics(registry: Registry): RoutingMetrics {
  let metrics = byRegistry.get(registry);
  if (!metrics) {
    const registers = [registry];
    const cacheLookups = new Counter({
      name: 'routing_cache_lookups_total',
      help: 'Route and table lookups in the OSRM result cache, by result (hit: answered without asking OSRM, miss).',
      labelNames: ['result'] as const,
      registers,
    });
    metrics = {
      osrmRequests: new Counter({
        name: 'routing_osrm_requests_total',
        help: 'Calls to OSRM by operation (route, table, nearest, reachability) and outcome (ok, unavailable, error).',
        labelNames: ['operation', 'outcome'] as const,
        registers,
      }),
      cacheLookups,
      cacheHitRatio: new Gauge({
        name: 'routing_cache_hit_ratio',
        help: 'Share of OSRM cache lookups answered from the cache since the process started (0 before any lookup).',
        registers,
        async collect() {
          const values = (await cacheLookups.get()).values;
          const of = (result: string) => values.find((v) => v.labels.result === result)?.value ?? 0;
          const total = of('hit') + of('miss');
          this.set(total === 0 ? 0 : of('hit') / total);
        },
      }),
      fallbackActive: new Gauge({
        name: 'routing_fallback_active',
        help: 'Whether routing answers from the straight-line fallback because OSRM is unavailable or its circuit open (1) or from OSRM (0).',
        registers,
      }),
    };
    byRegistry.set(registry, metrics);
  }
  return metrics;
}

/** Counts every call to `inner` (OSRM) in `routing_osrm_requests_total` by operation and outcome. */
export class MeteredRouter implements Router {
  private readonly requests: Counter<'operation' | 'outcome'>;

  constructor(
    private readonly inner: Router,
    registry: Registry,
  ) {
    this.requests = routingMetrics(registry).osrmRequests;
  }

  route(from: LatLng, to: LatLng) {
    return this.count('route', () => this.inner.route(from, to));
  }

  table(sources: readonly LatLng[], destinations: readonly LatLng[]) {
    return this.count('table', () => this.inner.table(sources, destinations));
  }

  nearest(point: LatLng) {
    return this.count('nearest', () => this.inner.nearest(point));
  }

  reachability(from: LatLng, to: LatLng) {
    return this.count('reachability', () => this.inner.reachability(from, to));
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private async count<T>(operation: string, call: () => Promise<T>): Promise<T> {
    try {
      const value = await call();
      this.requests.inc({ operation, outcome: 'ok' });
      return value;
    } catch (error) {
      this.requests.inc({ operation, outcome: error instanceof RoutingUnavailableError ? 'unavailable' : 'error' });
      throw error;
    }
  }
}
