import { mayActAsRider } from '../../../internal/auth/policy.ts';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { forbiddenResponse, SECURITY, unauthorizedResponse } from '../schemas/security.ts';
import { authorize, principalOf } from '../authenticate.ts';
import { errorResponse, IdParamSchema, jsonResponse } from '../schemas/common.ts';
import { CurrentLocationSchema } from './rider-location-schemas.ts';
import { telemetryOf, type TelemetryRouteDeps } from './rider-location-routes.ts';

export const getRiderLocationRoute = createRoute({
  operationId: 'getRiderLocation',
  method: 'get',
  path: '/riders/{id}/location',
  tags: ['telemetry'],
  summary: 'A rider’s current position',
  description: 'From the geo store: the newest ping received within the position TTL.',
  security: SECURITY.operatorOrRider,
  request: { params: IdParamSchema },
  responses: {
    200: jsonResponse(CurrentLocationSchema, 'The live position.'),
    400: errorResponse('Malformed id.'),
    404: errorResponse('No such rider (`rider.not_found`) or no live position (`rider.location_unknown`).'),
    401: unauthorizedResponse,
    403: forbiddenResponse("Another rider's."),
  },
});

/** `GET /riders/{id}/location`. */
export function registerGetRiderLocationRoute(app: OpenAPIHono, deps: TelemetryRouteDeps): void {
  app.openapi(getRiderLocationRoute, async (c) => {
    const riderId = c.req.valid('param').id;
    authorize(c, mayActAsRider(principalOf(c), riderId), `read the position of rider ${riderId}`);
    const p = await telemetryOf(deps).current(riderId);
    return c.json(
      {
        rider_id: p.riderId,
        lat: p.lat,
        lon: p.lon,
        recorded_at: new Date(p.recordedAt).toISOString(),
        received_at: new Date(p.lastSeenAt).toISOString(),
        speed: p.speed ?? null,
        heading: p.heading ?? null,
        accuracy: p.accuracy ?? null,
        availability: p.status,
        batch_id: p.batchId,
      },
      200,
    );
  });
}
