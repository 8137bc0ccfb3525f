import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { forbiddenResponse, SECURITY, unauthorizedResponse } from '../schemas/security.ts';
import { requireOperator } from '../authenticate.ts';
import { errorResponse, IdParamSchema, InstantSchema, jsonResponse, queryNumber } from '../schemas/common.ts';
import { RiderRouteSchema } from './rider-location-schemas.ts';
import { telemetryOf, type TelemetryRouteDeps } from './rider-location-routes.ts';

const MAX_SPAN_MS = 31 * 86_400_000;
export const MAX_ROUTE_POINTS = 10_000;

const RouteQuerySchema = z
  .strictObject({
    from: InstantSchema.openapi({
      param: { name: 'from', in: 'query' },
      description: 'Start (inclusive), ISO-8601 with offset.',
    }),
    to: InstantSchema.openapi({
      param: { name: 'to', in: 'query' },
      description: 'End (exclusive), ISO-8601 with offset.',
    }),
    limit: queryNumber({ integer: true, minimum: 1, maximum: MAX_ROUTE_POINTS, default: MAX_ROUTE_POINTS }).openapi({
      param: { name: 'limit', in: 'query' },
      description: `At most this many points (default and maximum ${MAX_ROUTE_POINTS}).`,
    }),
  })
  .superRefine((q, ctx) => {
    const span = Date.parse(q.to) - Date.parse(q.from);
    if (!(span > 0)) ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be after from' });
    else if (span > MAX_SPAN_MS)
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'the range may span at most 31 days' });
  });

export const getRiderRouteRoute = createRoute({
  operationId: 'getRiderRoute',
  method: 'get',
  path: '/riders/{id}/route',
  tags: ['telemetry'],
  summary: 'A rider’s GPS history',
  description:
    'Pings recorded in [from, to), oldest first, as a GeoJSON LineString plus the points with their details. History is written by the worker in batches, typically within a second of the ping.',
  security: SECURITY.operator,
  request: { params: IdParamSchema, query: RouteQuerySchema },
  responses: {
    200: jsonResponse(RiderRouteSchema, 'The route.'),
    400: errorResponse('Invalid input; `field` names it (`from`, `to`, `limit`).'),
    404: errorResponse('No such rider (`rider.not_found`).'),
    401: unauthorizedResponse,
    403: forbiddenResponse(),
  },
});

/** `GET /riders/{id}/route?from&to&limit`. */
export function registerGetRiderRouteRoute(app: OpenAPIHono, deps: TelemetryRouteDeps): void {
  app.openapi(getRiderRouteRoute, async (c) => {
    requireOperator(c, "read a rider's GPS history");
    const id = c.req.valid('param').id;
    const q = c.req.valid('query');
    const from = new Date(q.from);
    const to = new Date(q.to);
    const points = await telemetryOf(deps).route(id, from, to, q.limit);
    return c.json(
      {
        rider_id: id,
        from: from.toISOString(),
        to: to.toISOString(),
        count: points.length,
        truncated: points.length === q.limit,
        line:
          points.length >= 2
            ? { type: 'LineString' as const, coordinates: points.map((p) => [p.lon, p.lat] as [number, number]) }
            : null,
        points: points.map((p) => ({
          lat: p.lat,
          lon: p.lon,
          recorded_at: p.recordedAt.toISOString(),
          speed: p.speed,
          heading: p.heading,
          accuracy: p.accuracy,
        })),
      },
      200,
    );
  });
}
