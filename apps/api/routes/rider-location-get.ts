import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
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
  request: { params: IdParamSchema },
  responses: {
    200: jsonResponse(CurrentLocationSchema, 'The live position.'),
    400: errorResponse('Malformed id.'),
    404: errorResponse('No such rider (`rider.not_found`) or no live position (`rider.location_unknown`).'),
  },
});

/** `GET /riders/{id}/location`. */
export function registerGetRiderLocationRoute(app: OpenAPIHono, deps: TelemetryRouteDeps): void {
  app.openapi(getRiderLocationRoute, async (c) => {
    const p = await telemetryOf(deps).current(c.req.valid('param').id);
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
