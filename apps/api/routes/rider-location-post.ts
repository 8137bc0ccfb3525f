import { mayActAsRider } from '../../../internal/auth/policy.ts';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { forbiddenResponse, SECURITY, unauthorizedResponse } from '../schemas/security.ts';
import { authorize, principalOf } from '../authenticate.ts';
import { errorResponse, IdParamSchema, jsonBody, jsonResponse } from '../schemas/common.ts';
import { PingAcceptedSchema, PingSchema } from './rider-location-schemas.ts';
import { ingestPing } from './rider-location-ingest.ts';
import { telemetryOf, type TelemetryRouteDeps } from './rider-location-routes.ts';

export const postRiderLocationRoute = createRoute({
  operationId: 'postRiderLocation',
  method: 'post',
  path: '/riders/{id}/location',
  tags: ['telemetry'],
  summary: 'Report a rider’s GPS position',
  description:
    'Updates the current position (unless the rider already has a newer one), appends the ping to the history and pushes it to WebSocket subscribers (`rider:{id}`, `map`, `map:{cell}`, the rider’s orders).',
  security: SECURITY.operatorOrRider,
  request: { params: IdParamSchema, body: jsonBody(PingSchema) },
  responses: {
    202: jsonResponse(
      PingAcceptedSchema,
      'Taken: `accepted` became current, `ignored` was older than the current position.',
    ),
    400: errorResponse('Invalid input; `field` names it (`lat`, `recorded_at`, …).'),
    404: errorResponse('No such rider (`rider.not_found`).'),
    503: errorResponse('The geo store or the bus is unavailable.'),
    401: unauthorizedResponse,
    403: forbiddenResponse("Another rider's position."),
  },
});

/** `POST /riders/{id}/location`. */
export function registerPostRiderLocationRoute(app: OpenAPIHono, deps: TelemetryRouteDeps): void {
  app.openapi(postRiderLocationRoute, async (c) => {
    const riderId = c.req.valid('param').id;
    authorize(c, mayActAsRider(principalOf(c), riderId), `post the position of rider ${riderId}`);
    return c.json(await ingestPing(telemetryOf(deps), riderId, c.req.valid('json')), 202);
  });
}
