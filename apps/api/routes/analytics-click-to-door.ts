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

export const analyticsClickToDoorRoute = createRoute({
  operationId: 'getClickToDoorAnalytics',
  method: 'get',
  path: '/analytics/click-to-door',
  ...analyticsRouteCommon,
  summary: 'Click-to-door distribution',
  description:
    'Seconds from placement to the confirmed drop, over the delivered orders placed in the range: mean, P50/P90/P99 and a histogram (bounds 10 min … 2 h).',
  request: { query: AnalyticsQuerySchema },
  responses: { 200: jsonResponse(DistributionSchema, 'The distribution.'), ...analyticsErrors },
});

/** `GET /analytics/click-to-door`. */
export function registerAnalyticsClickToDoorRoute(
  app: OpenAPIHono,
  deps: { services?: ApiServices | undefined },
): void {
  app.openapi(analyticsClickToDoorRoute, async (c) => {
    return c.json(await analyticsAnswer(c, deps, c.req.valid('query'), (a, filter) => a.clickToDoor(filter)), 200);
  });
}
