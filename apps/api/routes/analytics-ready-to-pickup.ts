import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { jsonResponse } from '../schemas/common.ts';
import type { ApiServices } from '../services.ts';
import {
  AnalyticsQuerySchema,
  analyticsErrors,
  analyticsRouteCommon,
  DistributionSchema,
  analyticsAnswer,
} from './analytics-schemas.ts';

export const analyticsReadyToPickupRoute = createRoute({
  operationId: 'getReadyToPickupAnalytics',
  method: 'get',
  path: '/analytics/ready-to-pickup',
  ...analyticsRouteCommon,
  summary: 'Ready-to-pickup distribution',
  description:
    'Seconds from the store marking an order ready to the rider picking it up (0 when picked up before it was marked), over the picked-up orders placed in the range: mean, P50/P90/P99 and a histogram (bounds 30 s … 30 min).',
  request: { query: AnalyticsQuerySchema },
  responses: { 200: jsonResponse(DistributionSchema, 'The distribution.'), ...analyticsErrors },
});

/** `GET /analytics/ready-to-pickup`. */
export function registerAnalyticsReadyToPickupRoute(
  app: OpenAPIHono,
  deps: { services?: ApiServices | undefined },
): void {
  app.openapi(analyticsReadyToPickupRoute, async (c) => {
    return c.json(await analyticsAnswer(c, deps, c.req.valid('query'), (a, filter) => a.readyToPickup(filter)), 200);
  });
}
