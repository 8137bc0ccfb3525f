import type { MiddlewareHandler } from 'hono';
import { Histogram, type Registry } from 'prom-client';

const durationByRegistry = new WeakMap<Registry, Histogram<'method' | 'route' | 'status'>>();

/**
 * The request-duration histogram of a registry: labelled by route pattern (`/orders/:id`, never the raw path, so label
 * cardinality stays bounded), method and status. One per registry, shared by Hono's middleware and the ingest lane.
 */
export function httpRequestDuration(registry: Registry): Histogram<'method' | 'route' | 'status'> {
  let duration = durationByRegistry.get(registry);
  if (!duration) {
    duration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request duration by route pattern, method and status.',
      labelNames: ['method', 'route', 'status'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    });
    durationByRegistry.set(registry, duration);
  }
  return duration;
}

/** Counts and times every request Hono serves (see `httpRequestDuration`). */
export function httpMetrics(registry: Registry): MiddlewareHandler {
  const duration = httpRequestDuration(registry);
  return async (c, next) => {
    const end = duration.startTimer();
    try {
      await next();
    } finally {
      const route = c.req.routePath === '/*' ? 'unmatched' : c.req.routePath;
      end({ method: c.req.method, route, status: String(c.res.status) });
    }
  };
}
