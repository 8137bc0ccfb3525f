import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { forbiddenResponse, SECURITY, unauthorizedResponse } from '../schemas/security.ts';
import { requireOperator } from '../authenticate.ts';
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
  security: SECURITY.operator,
  request: { body: jsonBody(PingBatchSchema) },
  responses: {
    202: jsonResponse(PingBatchAcceptedSchema, 'Taken, with per-ping outcomes and counts.'),
    400: errorResponse('Invalid input; `field` names the ping and field.'),
    503: errorResponse('The geo store or the bus is unavailable.'),
    401: unauthorizedResponse,
    403: forbiddenResponse(),
  },
});

/** `POST /riders/locations`. */
export function registerPostRiderLocationsRoute(app: OpenAPIHono, deps: TelemetryRouteDeps): void {
  app.openapi(postRiderLocationsRoute, async (c) => {
    requireOperator(c, 'post pings of many riders');
    return c.json(await ingestPings(telemetryOf(deps), c.req.valid('json')), 202);
  });
}
