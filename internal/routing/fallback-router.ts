import { Counter, type Registry } from 'prom-client';
import {
  RoutingUnavailableError,
  type LatLng,
  type NearestResult,
  type Reachability,
  type RouteResult,
  type Router,
  type TableResult,
} from './router.ts';
import { routingMetrics } from './routing-metrics.ts';

/** The two logger methods routing uses; a pino logger fits. */
export interface RoutingLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface FallbackRouterDeps {
  primary: Router;
  fallback: Router;
  registry: Registry;
  logger: RoutingLogger;
}

/** Why a call was answered by the fallback: the circuit rejected it, or an attempt failed. */
export type FallbackReason = 'circuit_open' | 'unavailable';

/** Which router answered the last call, and why. Logged once each time it changes. */
type Mode = 'primary' | FallbackReason;

const METRIC = 'routing_fallback_total';

function fallbackCounter(registry: Registry): Counter<'operation' | 'reason'> {
  // Several routers may share one registry (tests, multiple apps in one process): reuse the series.
  const existing = registry.getSingleMetric(METRIC);
  if (existing) return existing as Counter<'operation' | 'reason'>;
  return new Counter({
    name: METRIC,
    help: 'Routing calls answered by the straight-line fallback because OSRM was unavailable or its circuit open',
    labelNames: ['operation', 'reason'] as const,
    registers: [registry],
  });
}

/**
 * Asks `primary` (OSRM) and, when it cannot answer (`RoutingUnavailableError`: network, timeout, 5xx, open circuit),
 * answers from `fallback` (straight line) instead. Real answers — no route, no segment, invalid input — pass through.
 *
 * Every fallback decision increments `routing_fallback_total{operation, reason}`; the switch between primary and
 * fallback (and between fallback reasons) is logged once per change, not once per call.
 */
export class FallbackRouter implements Router {
  private readonly primary: Router;
  private readonly fallback: Router;
  private readonly logger: RoutingLogger;
  private readonly counter: Counter<'operation' | 'reason'>;
  /** `routing_fallback_active`: 1 while the fallback answers. */
  private readonly active: { set(value: number): void };
  private mode: Mode = 'primary';

  constructor(deps: FallbackRouterDeps) {
    this.primary = deps.primary;
    this.fallback = deps.fallback;
    this.logger = deps.logger;
    this.counter = fallbackCounter(deps.registry);
    this.active = routingMetrics(deps.registry).fallbackActive;
    this.active.set(0);
  }

  route(from: LatLng, to: LatLng): Promise<RouteResult> {
    return this.call('route', (r) => r.route(from, to));
  }

  table(sources: readonly LatLng[], destinations: readonly LatLng[]): Promise<TableResult> {
    return this.call('table', (r) => r.table(sources, destinations));
  }

  nearest(point: LatLng): Promise<NearestResult> {
    return this.call('nearest', (r) => r.nearest(point));
  }

  /** While OSRM cannot answer, the fallback's "reachable": nothing is refused on a guess. */
  reachability(from: LatLng, to: LatLng): Promise<Reachability> {
    return this.call('reachability', (r) => r.reachability(from, to));
  }

  async close(): Promise<void> {
    await Promise.all([this.primary.close(), this.fallback.close()]);
  }

  private async call<T>(operation: string, run: (router: Router) => Promise<T>): Promise<T> {
    let value: T;
    try {
      value = await run(this.primary);
    } catch (err) {
      if (!(err instanceof RoutingUnavailableError)) throw err;
      const reason: FallbackReason = err.circuitOpen ? 'circuit_open' : 'unavailable';
      this.counter.inc({ operation, reason });
      this.switchTo(reason, err);
      return run(this.fallback);
    }
    this.switchTo('primary');
    return value;
  }

  private switchTo(mode: Mode, err?: RoutingUnavailableError): void {
    if (mode === this.mode) return;
    // Calls already in flight when the circuit opened still fail the slow way; they do not end the open episode.
    if (this.mode === 'circuit_open' && mode === 'unavailable') return;
    const from = this.mode;
    this.mode = mode;
    this.active.set(mode === 'primary' ? 0 : 1);
    if (mode === 'primary') {
      this.logger.info({ from, to: mode }, 'routing: OSRM answers again, straight-line fallback off');
    } else {
      this.logger.warn(
        { from, to: mode, err: err?.message },
        mode === 'circuit_open'
          ? 'routing: OSRM circuit open, answering with the straight-line fallback'
          : 'routing: OSRM unavailable, answering with the straight-line fallback',
      );
    }
  }
}
