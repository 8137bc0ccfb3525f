import type { OpenAPIHono } from '@hono/zod-openapi';
import type { TelemetryService } from '../../../internal/telemetry/telemetry-service.ts';
import { unavailable } from '../../../internal/platform/errors.ts';
import { registerGetRiderLocationRoute } from './rider-location-get.ts';
import { registerPostRiderLocationRoute } from './rider-location-post.ts';
import { registerGetRiderRouteRoute } from './rider-route.ts';
import { registerNearbyRidersRoute } from './riders-nearby.ts';
import { registerPostRiderLocationsRoute } from './riders-locations.ts';

export interface TelemetryRouteDeps {
  telemetry?: TelemetryService | undefined;
}

/** The telemetry service, or a 503 when the app was built without it (the OpenAPI generator does). */
export function telemetryOf(deps: TelemetryRouteDeps): TelemetryService {
  if (!deps.telemetry) throw unavailable('api.telemetry_missing', 'this API instance was built without telemetry');
  return deps.telemetry;
}

/**
 * Every telemetry route. Call it BEFORE the `/riders/{id}` routes: `GET /riders/nearby` and `POST /riders/locations`
 * must win over the id patterns.
 */
export function registerTelemetryRoutes(app: OpenAPIHono, deps: TelemetryRouteDeps): void {
  registerNearbyRidersRoute(app, deps);
  registerPostRiderLocationsRoute(app, deps);
  registerPostRiderLocationRoute(app, deps);
  registerGetRiderLocationRoute(app, deps);
  registerGetRiderRouteRoute(app, deps);
}
