import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { requireOperator } from '../authenticate.ts';
import { jsonResponse } from '../schemas/common.ts';
import { servicesOf, type ApiServices } from '../services.ts';
import {
  AnalyticsQuerySchema,
  analyticsErrors,
  analyticsRouteCommon,
  DistributionSchema,
  scopeJson,
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
    requireOperator(c, 'read delivery analytics');
    const analytics = servicesOf(deps).analytics;
    const filter = analytics.filterOf(c.req.valid('query'));
    c.header('Cache-Control', 'no-store');
    return c.json({ ...scopeJson(filter), ...(await analytics.clickToDoor(filter)) }, 200);
  });
}
