import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { forbiddenResponse, SECURITY, unauthorizedResponse } from '../schemas/security.ts';
import { requireOperator } from '../authenticate.ts';
import { errorResponse, jsonResponse, queryNumber } from '../schemas/common.ts';
import { NearbyRidersSchema } from './rider-location-schemas.ts';
import { telemetryOf, type TelemetryRouteDeps } from './rider-location-routes.ts';

const NearbyQuerySchema = z.strictObject({
  lat: queryNumber({ minimum: -85.05112878, maximum: 85.05112878 }).openapi({
    param: { name: 'lat', in: 'query', required: true },
    example: 43.7384,
  }),
  lon: queryNumber({ minimum: -180, maximum: 180 }).openapi({
    param: { name: 'lon', in: 'query', required: true },
    example: 7.4246,
  }),
  radius_m: queryNumber({ exclusiveMinimum: 0, maximum: 50_000, default: 2_000 }).openapi({
    param: { name: 'radius_m', in: 'query' },
    description: 'Metres, at most 50 000 (default 2 000).',
  }),
  limit: queryNumber({ integer: true, minimum: 1, maximum: 1_000, default: 100 }).openapi({
    param: { name: 'limit', in: 'query' },
    description: '1–1 000 (default 100).',
  }),
});

export const getNearbyRidersRoute = createRoute({
  operationId: 'getNearbyRiders',
  method: 'get',
  path: '/riders/nearby',
  tags: ['telemetry'],
  summary: 'Live riders near a point',
  description: 'Every rider with a live position (any availability) within `radius_m`, nearest first.',
  security: SECURITY.operator,
  request: { query: NearbyQuerySchema },
  responses: {
    200: jsonResponse(NearbyRidersSchema, 'Riders, nearest first.'),
    400: errorResponse('Invalid input; `field` names it.'),
    401: unauthorizedResponse,
    403: forbiddenResponse(),
  },
});

/** `GET /riders/nearby?lat&lon&radius_m&limit`. Registered before `GET /riders/{id}` so `nearby` is not taken for an id. */
export function registerNearbyRidersRoute(app: OpenAPIHono, deps: TelemetryRouteDeps): void {
  app.openapi(getNearbyRidersRoute, async (c) => {
    requireOperator(c, 'list live riders');
    const q = c.req.valid('query');
    const riders = await telemetryOf(deps).nearby({ lat: q.lat, lon: q.lon }, q.radius_m, q.limit);
    return c.json(
      {
        riders: riders.map((r) => ({
          rider_id: r.riderId,
          lat: r.position.lat,
          lon: r.position.lon,
          distance_m: r.distanceM,
          availability: r.status,
          batch_id: r.batchId,
        })),
      },
      200,
    );
  });
}
