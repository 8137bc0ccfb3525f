import { OpenAPIHono } from '@hono/zod-openapi';
import type { Registry } from 'prom-client';
import type { HealthCheck } from '../../internal/health/health-check.ts';
import type { Logger } from '../../internal/platform/logger.ts';
import { createErrorHandler, ErrorBodySchema, notFoundHandler, validationHook } from './error-handler.ts';
import { httpMetrics } from './http-metrics.ts';
import { registerDocsRoute } from './routes/docs.ts';
import { registerHealthRoute } from './routes/health.ts';
import { registerMetricsRoute } from './routes/metrics.ts';
import { registerOpenApiJsonRoute } from './routes/openapi-json.ts';

/** What the HTTP layer needs; the composition root (compose.ts) builds it from the configuration. */
export interface ApiDeps {
  logger: Logger;
  /** One per adapter in use: postgres, redis, bus, router. */
  healthChecks: readonly HealthCheck[];
  /** The process's metrics registry, exposed at /metrics. */
  metrics: Registry;
}

/**
 * Builds the HTTP application: routes (one file each under routes/), request validation that answers 400 in the
 * common error shape, the 404 fallback and the error mapping of error-handler.ts. Starts nothing.
 */
export function createApiApp(deps: ApiDeps): OpenAPIHono {
  const app = new OpenAPIHono({ defaultHook: validationHook });
  app.use(httpMetrics(deps.metrics));
  // Listed in the document even before a route references it: it is the body of every 4xx/5xx answer.
  app.openAPIRegistry.register('Error', ErrorBodySchema);

  registerHealthRoute(app, deps);
  registerMetricsRoute(app, deps);
  registerOpenApiJsonRoute(app);
  registerDocsRoute(app);

  app.notFound(notFoundHandler);
  app.onError(createErrorHandler(deps.logger));
  return app;
}
