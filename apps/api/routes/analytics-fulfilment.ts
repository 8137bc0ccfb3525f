import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { jsonResponse } from '../schemas/common.ts';
import type { ApiServices } from '../services.ts';
import {
  AnalyticsQuerySchema,
  AnalyticsScopeSchema,
  analyticsErrors,
  analyticsRouteCommon,
  analyticsAnswer,
} from './analytics-schemas.ts';

const FulfilmentSchema = AnalyticsScopeSchema.extend({
  placed: z.number().int().openapi({ description: 'Orders placed in the range.' }),
  delivered: z.number().int(),
  cancelled: z.number().int(),
  in_progress: z.number().int().openapi({ description: 'Neither delivered nor cancelled yet.' }),
  fulfilment_rate: z.number().nullable().openapi({ description: 'delivered / placed; null while none was placed.' }),
  cancellation_rate: z.number().nullable().openapi({ description: 'cancelled / placed.' }),
  cancelled_by_reason: z.object({ customer: z.number().int(), drop_unreachable: z.number().int() }),
}).openapi('AnalyticsFulfilment');

export const analyticsFulfilmentRoute = createRoute({
  operationId: 'getFulfilmentAnalytics',
  method: 'get',
  path: '/analytics/fulfilment',
  ...analyticsRouteCommon,
  summary: 'Fulfilment and cancellation rate',
  description: 'What became of the orders placed in the range: delivered, cancelled (by reason), still in progress.',
  request: { query: AnalyticsQuerySchema },
  responses: { 200: jsonResponse(FulfilmentSchema, 'The figures.'), ...analyticsErrors },
});

/** `GET /analytics/fulfilment`. */
export function registerAnalyticsFulfilmentRoute(app: OpenAPIHono, deps: { services?: ApiServices | undefined }): void {
  app.openapi(analyticsFulfilmentRoute, async (c) => {
    return c.json(await analyticsAnswer(c, deps, c.req.valid('query'), (a, filter) => a.fulfilment(filter)), 200);
  });
}
