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

const figures = {
  batches: z.number().int().openapi({ description: 'Batch decisions with a computed regret.' }),
  mean_s: z.number().nullable().openapi({ description: 'Weighted seconds; null while `batches` is 0.' }),
  p50_s: z.number().nullable().openapi({ description: 'Exact percentile (percentile_cont), weighted seconds.' }),
  p90_s: z.number().nullable(),
  p95_s: z.number().nullable(),
  mean_relative: z.number().nullable().openapi({ description: 'Mean of regret / realised cost.' }),
  share_with_regret: z
    .number()
    .nullable()
    .openapi({ description: 'Share of decisions for which a better alternative existed (regret > 0).' }),
};

const RegretSchema = AnalyticsScopeSchema.extend({
  overall: z
    .object({
      ...figures,
      alternatives: z
        .array(
          z.object({
            alternative: z.enum(['as_executed', 'resequence', 'other_rider', 'split', 'merge']),
            batches: z.number().int(),
          }),
        )
        .openapi({ description: 'Decisions per best alternative in hindsight (`as_executed`: nothing better).' }),
    })
    .openapi({ description: 'Every decision in the range.' }),
  cells: z
    .array(
      z.object({
        store_id: z.string(),
        store_name: z.string(),
        hour: z.string().openapi({ example: '2026-11-22T12:00:00.000Z', description: 'UTC hour of the decision.' }),
        ...figures,
      }),
    )
    .openapi({ description: 'One row per store and hour with at least one decision, by hour then store name.' }),
}).openapi('AnalyticsRegret');

export const analyticsRegretRoute = createRoute({
  operationId: 'getRegretAnalytics',
  method: 'get',
  path: '/analytics/regret',
  ...analyticsRouteCommon,
  summary: 'Batching regret per store and hour',
  description:
    'Regret in hindsight of the batch decisions (rider committed) in the range: realised cost (rider seconds + ready-to-door seconds + 2 × late seconds) minus the best alternative for the same orders known after the fact (another drop order, a split over the riders who were free, a merge with an earlier batch of the store). Mean, P50/P90/P95 overall and per store × UTC hour. A batch counts once it is delivered and its 10-minute decision window is over. See docs/dispatch-quality.md.',
  request: { query: AnalyticsQuerySchema },
  responses: { 200: jsonResponse(RegretSchema, 'The distribution.'), ...analyticsErrors },
});

/** `GET /analytics/regret`. */
export function registerAnalyticsRegretRoute(app: OpenAPIHono, deps: { services?: ApiServices | undefined }): void {
  app.openapi(analyticsRegretRoute, async (c) => {
    return c.json(await analyticsAnswer(c, deps, c.req.valid('query'), (a, filter) => a.regret(filter)), 200);
  });
}
