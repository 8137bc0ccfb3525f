import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { forbiddenResponse, SECURITY, unauthorizedResponse } from '../schemas/security.ts';
import { requireOperator } from '../authenticate.ts';
import { errorResponse, jsonResponse } from '../schemas/common.ts';
import { liveStatsOf, LiveStatsSchema, type MapRouteDeps } from './map-schemas.ts';

export const liveStatsRoute = createRoute({
  operationId: 'getLiveStats',
  method: 'get',
  path: '/stats/live',
  tags: ['stats'],
  summary: 'Live operations figures',
  description:
    'Orders placed/delivered today (UTC), riders idle/busy, active batches and the mean click-to-door time of the orders delivered today.',
  security: SECURITY.operator,
  responses: {
    200: jsonResponse(LiveStatsSchema, 'The figures.'),
    503: errorResponse('Built without the live-map service (`api.services_missing`).'),
    401: unauthorizedResponse,
    403: forbiddenResponse(),
  },
});

/** `GET /stats/live`. */
export function registerLiveStatsRoute(app: OpenAPIHono, deps: MapRouteDeps): void {
  app.openapi(liveStatsRoute, async (c) => {
    requireOperator(c, 'read live stats');
    c.header('Cache-Control', 'no-store');
    return c.json(await liveStatsOf(deps).stats(), 200);
  });
}
