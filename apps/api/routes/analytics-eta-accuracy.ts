import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { jsonResponse } from '../schemas/common.ts';
import type { ApiServices } from '../services.ts';
import {
  AnalyticsQuerySchema,
  AnalyticsScopeSchema,
  analyticsErrors,
  analyticsRouteCommon,
  BucketsSchema,
  analyticsAnswer,
} from './analytics-schemas.ts';

const EtaErrorSchema = z
  .object({
    count: z.number().int().openapi({ description: 'Delivered orders that had this quote.' }),
    mean_error_s: z.number().nullable().openapi({ description: 'Mean of drop − quote, seconds (positive: late).' }),
    p90_abs_error_s: z.number().nullable().openapi({ description: 'P90 of |drop − quote|, seconds.' }),
    share_late: z.number().nullable().openapi({ description: 'Share dropped after the quote.' }),
    buckets: BucketsSchema,
  })
  .openapi('AnalyticsEtaError');

const EtaAccuracySchema = AnalyticsScopeSchema.extend({
  promised: EtaErrorSchema.openapi({ description: 'Against `promised_at`, the promise made at placement.' }),
  first_quoted: EtaErrorSchema.openapi({
    description: "Against the first drop ETA dispatch quoted (the order's `eta` when its batch was first sealed).",
  }),
}).openapi('AnalyticsEtaAccuracy');

export const analyticsEtaAccuracyRoute = createRoute({
  operationId: 'getEtaAccuracyAnalytics',
  method: 'get',
  path: '/analytics/eta-accuracy',
  ...analyticsRouteCommon,
  summary: 'ETA accuracy',
  description:
    'Promised and first-quoted drop times against the actual drop, over the delivered orders placed in the range: mean error, P90 absolute error, share late and an error histogram (seconds, early negative).',
  request: { query: AnalyticsQuerySchema },
  responses: { 200: jsonResponse(EtaAccuracySchema, 'The figures.'), ...analyticsErrors },
});

/** `GET /analytics/eta-accuracy`. */
export function registerAnalyticsEtaAccuracyRoute(
  app: OpenAPIHono,
  deps: { services?: ApiServices | undefined },
): void {
  app.openapi(analyticsEtaAccuracyRoute, async (c) => {
    return c.json(await analyticsAnswer(c, deps, c.req.valid('query'), (a, filter) => a.etaAccuracy(filter)), 200);
  });
}
