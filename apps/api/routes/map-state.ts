import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { forbiddenResponse, SECURITY, unauthorizedResponse } from '../schemas/security.ts';
import { requireOperator } from '../authenticate.ts';
import { errorResponse, jsonResponse } from '../schemas/common.ts';
import { liveStatsOf, MapSnapshotSchema, type MapRouteDeps } from './map-schemas.ts';

export const mapStateRoute = createRoute({
  operationId: 'getMapState',
  method: 'get',
  path: '/map/state',
  tags: ['map'],
  summary: 'Live map snapshot',
  description: [
    'Everything the live map draws: stores, on-shift riders with their live position (geo store; the last known one',
    'from Postgres when it expired), active orders (and those delivered in the last `recentDeliveredMs`, 5 minutes of',
    'clock time) with their drop point, and active batches with their stops (and hot-path geometry while a rider is on',
    'them), plus the `/stats/live` figures. Bounded by what is live, not by history. The page loads it once and then',
    'follows the `map` channel of the WebSocket hub at `/ws`.',
  ].join(' '),
  security: SECURITY.operator,
  responses: {
    200: jsonResponse(MapSnapshotSchema, 'The snapshot.'),
    503: errorResponse('Built without the live-map service (`api.services_missing`).'),
    401: unauthorizedResponse,
    403: forbiddenResponse(),
  },
});

/** `GET /map/state`. */
export function registerMapStateRoute(app: OpenAPIHono, deps: MapRouteDeps): void {
  app.openapi(mapStateRoute, async (c) => {
    requireOperator(c, 'read the live map');
    c.header('Cache-Control', 'no-store');
    return c.json(await liveStatsOf(deps).snapshot(), 200);
  });
}
