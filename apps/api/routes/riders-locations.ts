import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { errorResponse, jsonBody, jsonResponse } from '../schemas/common.ts';
import { MAX_PINGS_PER_POST, PingBatchAcceptedSchema, PingBatchSchema } from './rider-location-schemas.ts';
import { ingestPings } from './rider-location-ingest.ts';
import { telemetryOf, type TelemetryRouteDeps } from './rider-location-routes.ts';

export const postRiderLocationsRoute = createRoute({
  operationId: 'postRiderLocations',
  method: 'post',
  path: '/riders/locations',
  tags: ['telemetry'],
  summary: 'Report many GPS positions at once',
  description: `Up to ${MAX_PINGS_PER_POST} pings of any riders (a fleet gateway, the simulator). Each ping is handled as by \`POST /riders/{id}/location\`; pings of unknown riders are counted, not fatal. One invalid ping rejects the whole post (400 naming it, e.g. \`pings[3].lat\`).`,
  request: { body: jsonBody(PingBatchSchema) },
  responses: {
    202: jsonResponse(PingBatchAcceptedSchema, 'Taken, with per-ping outcomes and counts.'),
    400: errorResponse('Invalid input; `field` names the ping and field.'),
    503: errorResponse('The geo store or the bus is unavailable.'),
  },
});

/** `POST /riders/locations`. */
export function registerPostRiderLocationsRoute(app: OpenAPIHono, deps: TelemetryRouteDeps): void {
  app.openapi(postRiderLocationsRoute, async (c) =>
    c.json(await ingestPings(telemetryOf(deps), c.req.valid('json')), 202),
  );
}
