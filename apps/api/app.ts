import { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import type { Registry } from 'prom-client';
import type { PrincipalResolver } from '../../internal/auth/principal-resolver.ts';
import type { HealthCheck } from '../../internal/health/health-check.ts';
import type { Logger } from '../../internal/platform/logger.ts';
import {
  createErrorHandler,
  ErrorBodySchema,
  MAX_REQUEST_BODY_BYTES,
  notFoundHandler,
  payloadTooLargeBody,
  validationHook,
} from './error-handler.ts';
import { authenticate } from './authenticate.ts';
import { httpMetrics } from './http-metrics.ts';
import { httpTracing } from './http-tracing.ts';
import { tracingEnabled } from '../../internal/platform/tracing.ts';
import { SECURITY_SCHEMES } from './schemas/security.ts';
import { rateLimit, type RequestLimits } from './rate-limit.ts';
import { storableTextOnly } from './storable-text.ts';
import { registerAnalyticsFulfilmentRoute } from './routes/analytics-fulfilment.ts';
import { registerAnalyticsClickToDoorRoute } from './routes/analytics-click-to-door.ts';
import { registerAnalyticsReadyToPickupRoute } from './routes/analytics-ready-to-pickup.ts';
import { registerAnalyticsEtaAccuracyRoute } from './routes/analytics-eta-accuracy.ts';
import { registerAnalyticsRiderUtilisationRoute } from './routes/analytics-rider-utilisation.ts';
import { registerAnalyticsBatchSizesRoute } from './routes/analytics-batch-sizes.ts';
import { registerAnalyticsOrdersPerCellRoute } from './routes/analytics-orders-per-cell.ts';
import { registerAnalyticsRegretRoute } from './routes/analytics-regret.ts';
import { registerConfirmDeliveryRoute } from './routes/batches-confirm-delivery.ts';
import { registerGetBatchRoute } from './routes/batches-get.ts';
import { registerListBatchesRoute } from './routes/batches-list.ts';
import { registerPickupBatchRoute } from './routes/batches-pickup.ts';
import { registerDashboardPageRoutes } from './routes/dashboard-page.ts';
import { registerDocsRoute } from './routes/docs.ts';
import { registerHealthRoute } from './routes/health.ts';
import { registerMapPageRoutes } from './routes/map-page.ts';
import type { MapRouteDeps } from './routes/map-schemas.ts';
import { registerMapStateRoute } from './routes/map-state.ts';
import { registerMetricsRoute } from './routes/metrics.ts';
import { registerOpenApiJsonRoute } from './routes/openapi-json.ts';
import { registerTelemetryRoutes, type TelemetryRouteDeps } from './routes/rider-location-routes.ts';
import { registerOrderCancelRoute } from './routes/orders-cancel.ts';
import { registerOrderCookingRoute } from './routes/orders-cooking.ts';
import { registerCreateOrderRoute } from './routes/orders-create.ts';
import { registerGetOrderRoute } from './routes/orders-get.ts';
import { registerListOrdersRoute } from './routes/orders-list.ts';
import { registerOrderReadyRoute } from './routes/orders-ready.ts';
import { registerCreateRiderRoute } from './routes/riders-create.ts';
import { registerGetRiderRoute } from './routes/riders-get.ts';
import { registerListRidersRoute } from './routes/riders-list.ts';
import { registerRiderStatusRoute } from './routes/riders-status.ts';
import { registerRiderTokenRoute } from './routes/riders-token.ts';
import { registerLiveStatsRoute } from './routes/stats-live.ts';
import { registerRegretStatsRoute } from './routes/stats-regret.ts';
import { registerSlaStatsRoute } from './routes/stats-sla.ts';
import { registerSiteRootRoutes } from './routes/site-root.ts';
import { registerCreateStoreRoute } from './routes/stores-create.ts';
import { registerGetStoreRoute } from './routes/stores-get.ts';
import { registerListStoresRoute } from './routes/stores-list.ts';
import type { ApiServices } from './services.ts';

/** What the HTTP layer needs; the composition root (compose.ts) builds it from the configuration. */
export interface ApiDeps extends MapRouteDeps, TelemetryRouteDeps {
  logger: Logger;
  /** One per adapter in use: postgres, redis, bus, router. */
  healthChecks: readonly HealthCheck[];
  /** The dispatch parameter set the worker runs (config.dispatch), named by /health; omitted when unknown. */
  dispatchParams?: { readonly name: string; readonly source: string; readonly hash: string };
  /** The process's metrics registry, exposed at /metrics. */
  metrics: Registry;
  /**
   * The domain services behind the store/rider/order/batch routes. The routes are registered either way (the OpenAPI
   * document depends only on them); without services they answer 503 `api.services_missing`.
   */
  services?: ApiServices;
  /**
   * Resolves bearer tokens (internal/auth). Every route but the public ones (authenticate.ts) then needs one. Without
   * it nobody is authenticated and every caller counts as an operator: only the OpenAPI generator and tests of the HTTP
   * layer alone build the app that way; the composed API always passes it.
   */
  auth?: PrincipalResolver;
  /** Per-key and per-IP request limits (rate-limit.ts); none when omitted (tests, the OpenAPI document). */
  requestLimits?: RequestLimits;
}

/**
 * Builds the HTTP application: routes (one file each under routes/), request validation that answers 400 in the
 * common error shape (request bodies and query strings are strict objects: an unknown field is a 400 naming it), the
 * request rate limits (429), the body-size limit (413), the 404 fallback and the error mapping of error-handler.ts. Starts nothing.
 */
export function createApiApp(deps: ApiDeps): OpenAPIHono {
  const app = new OpenAPIHono({ defaultHook: validationHook });
  // Outermost, so the span covers everything the request does; not installed at all while tracing is off.
  if (tracingEnabled()) app.use(httpTracing());
  app.use(httpMetrics(deps.metrics));
  // Before anything reads a body or a database: a caller over its rate costs one limiter round trip and no more.
  if (deps.requestLimits) app.use(rateLimit(deps.requestLimits));
  // Before anything reads the body: an unauthenticated request is refused unread.
  if (deps.auth) app.use(authenticate(deps.auth));
  // Before any route reads a body: a body over the limit is refused unread, as the ingest lane refuses it — and, as
  // there, on a connection that then closes: the rest of the body is not read, so a keep-alive client must not send
  // its next request on it (@hono/node-server drops such a connection after a short drain).
  app.use(
    bodyLimit({
      maxSize: MAX_REQUEST_BODY_BYTES,
      onError: (c) => c.json(payloadTooLargeBody(), 413, { connection: 'close' }),
    }),
  );
  // Before every route's validator: NUL and lone surrogates are a 400 naming the field, never a Postgres 500.
  app.use(storableTextOnly());
  // Listed in the document even before a route references it: it is the body of every 4xx/5xx answer.
  app.openAPIRegistry.register('Error', ErrorBodySchema);
  for (const [name, scheme] of Object.entries(SECURITY_SCHEMES))
    app.openAPIRegistry.registerComponent('securitySchemes', name, scheme);

  registerHealthRoute(app, deps);
  registerMetricsRoute(app, deps);
  registerOpenApiJsonRoute(app);
  registerDocsRoute(app);

  // Before the /riders/{id} routes, so /riders/nearby and /riders/locations are not taken for ids.
  registerTelemetryRoutes(app, deps);

  registerCreateStoreRoute(app, deps);
  registerListStoresRoute(app, deps);
  registerGetStoreRoute(app, deps);
  registerCreateRiderRoute(app, deps);
  registerListRidersRoute(app, deps);
  registerGetRiderRoute(app, deps);
  registerRiderStatusRoute(app, deps);
  registerRiderTokenRoute(app, deps);
  registerCreateOrderRoute(app, deps);
  registerListOrdersRoute(app, deps);
  registerGetOrderRoute(app, deps);
  registerOrderCookingRoute(app, deps);
  registerOrderReadyRoute(app, deps);
  registerOrderCancelRoute(app, deps);
  registerListBatchesRoute(app, deps);
  registerGetBatchRoute(app, deps);
  registerPickupBatchRoute(app, deps);
  registerConfirmDeliveryRoute(app, deps);
  registerRegretStatsRoute(app, deps);
  registerSlaStatsRoute(app, deps);
  registerLiveStatsRoute(app, deps);
  registerAnalyticsFulfilmentRoute(app, deps);
  registerAnalyticsClickToDoorRoute(app, deps);
  registerAnalyticsReadyToPickupRoute(app, deps);
  registerAnalyticsEtaAccuracyRoute(app, deps);
  registerAnalyticsRiderUtilisationRoute(app, deps);
  registerAnalyticsBatchSizesRoute(app, deps);
  registerAnalyticsOrdersPerCellRoute(app, deps);
  registerAnalyticsRegretRoute(app, deps);
  registerMapStateRoute(app, deps);
  registerMapPageRoutes(app, deps);
  registerDashboardPageRoutes(app);
  registerSiteRootRoutes(app);

  app.notFound(notFoundHandler);
  app.onError(createErrorHandler(deps.logger));
  return app;
}
