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

const BatchSizesSchema = AnalyticsScopeSchema.extend({
  batches: z.number().int().openapi({ description: 'Batches sealed in the range.' }),
  orders: z.number().int(),
  mean: z.number().nullable(),
  p50: z.number().nullable(),
  p90: z.number().nullable(),
  p99: z.number().nullable(),
  sizes: z.array(z.object({ size: z.number().int(), batches: z.number().int() })),
}).openapi('AnalyticsBatchSizes');

export const analyticsBatchSizesRoute = createRoute({
  operationId: 'getBatchSizeAnalytics',
  method: 'get',
  path: '/analytics/batch-sizes',
  ...analyticsRouteCommon,
  summary: 'Batch-size distribution',
  description: 'Orders per batch over the batches sealed in the range: mean, P50/P90/P99 and the count of each size.',
  request: { query: AnalyticsQuerySchema },
  responses: { 200: jsonResponse(BatchSizesSchema, 'The distribution.'), ...analyticsErrors },
});

/** `GET /analytics/batch-sizes`. */
export function registerAnalyticsBatchSizesRoute(app: OpenAPIHono, deps: { services?: ApiServices | undefined }): void {
  app.openapi(analyticsBatchSizesRoute, async (c) => {
    return c.json(await analyticsAnswer(c, deps, c.req.valid('query'), (a, filter) => a.batchSizes(filter)), 200);
  });
}
