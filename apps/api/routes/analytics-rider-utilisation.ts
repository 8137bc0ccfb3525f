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

const RiderUtilisationSchema = AnalyticsScopeSchema.extend({
  step_s: z.number().int().openapi({ description: 'Seconds between samples (60, more for ranges over a day).' }),
  fix_s: z.number().int().openapi({ description: 'A GPS fix this fresh at a sample puts the rider on shift.' }),
  on_shift_s: z.number(),
  busy_s: z.number(),
  utilisation: z.number().nullable().openapi({ description: 'busy_s / on_shift_s; null when nobody was on shift.' }),
  riders: z.array(
    z.object({
      rider_id: z.string(),
      name: z.string(),
      on_shift_s: z.number(),
      busy_s: z.number(),
      utilisation: z.number().nullable(),
    }),
  ),
}).openapi('AnalyticsRiderUtilisation');

export const analyticsRiderUtilisationRoute = createRoute({
  operationId: 'getRiderUtilisationAnalytics',
  method: 'get',
  path: '/analytics/rider-utilisation',
  ...analyticsRouteCommon,
  summary: 'Rider utilisation',
  description:
    'Share of on-shift time riders spent busy, sampled every `step_s`: busy = one of its batches assigned and not yet delivered; on shift = busy, or a GPS fix in the last `fix_s` seconds (riders send fixes while online). With `store_id`/`cell`, the riders who carried a matching batch in the range. See docs/analytics.md.',
  request: { query: AnalyticsQuerySchema },
  responses: { 200: jsonResponse(RiderUtilisationSchema, 'The figures, overall and per rider.'), ...analyticsErrors },
});

/** `GET /analytics/rider-utilisation`. */
export function registerAnalyticsRiderUtilisationRoute(
  app: OpenAPIHono,
  deps: { services?: ApiServices | undefined },
): void {
  app.openapi(analyticsRiderUtilisationRoute, async (c) => {
    return c.json(await analyticsAnswer(c, deps, c.req.valid('query'), (a, filter) => a.riderUtilisation(filter)), 200);
  });
}
