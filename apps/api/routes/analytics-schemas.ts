import { z } from '@hono/zod-openapi';
import { isValidCell } from 'h3-js';
import type { Context } from 'hono';
import type { AnalyticsFilter } from '../../../internal/analytics/analytics-filter.ts';
import type { AnalyticsService } from '../../../internal/analytics/analytics-service.ts';
import { requireOperator } from '../authenticate.ts';
import { servicesOf, type ApiServices } from '../services.ts';
import { errorResponse, InstantSchema } from '../schemas/common.ts';
import { forbiddenResponse, SECURITY, unauthorizedResponse } from '../schemas/security.ts';

/** The filter every `/analytics/…` route takes (a strict query: an unknown parameter is a 400 naming it). */
export const analyticsQuery = {
  from: InstantSchema.optional().openapi({
    param: { name: 'from', in: 'query' },
    description: 'Start of the range (inclusive), ISO 8601. Default: a day before `to`.',
  }),
  to: InstantSchema.optional().openapi({
    param: { name: 'to', in: 'query' },
    description: 'End of the range (exclusive), ISO 8601. Default: now. At most 31 days after `from`.',
  }),
  store_id: z
    .uuid()
    .optional()
    .openapi({ param: { name: 'store_id', in: 'query' }, description: 'Only this store.' }),
  cell: z
    .string()
    .refine((c) => isValidCell(c), { message: 'not an H3 cell index' })
    .optional()
    .openapi({
      param: { name: 'cell', in: 'query' },
      example: '87396c2b1ffffff',
      description:
        "Only orders whose drop cell is this H3 cell or a descendant (any resolution at or coarser than the orders' cells, `H3_RESOLUTION`); batches carrying one; riders who carried such a batch.",
    }),
};

export const AnalyticsQuerySchema = z.strictObject(analyticsQuery);

/** The range and filters an answer covers. */
export const AnalyticsScopeSchema = z.object({
  from: z.string().openapi({ example: '2026-11-21T12:00:00.000Z' }),
  to: z.string().openapi({ example: '2026-11-22T12:00:00.000Z' }),
  store_id: z.string().nullable(),
  cell: z.string().nullable(),
});

/** The echo of the filter an answer was computed for. */
export function scopeJson(f: AnalyticsFilter): z.infer<typeof AnalyticsScopeSchema> {
  return { from: f.from.toISOString(), to: f.to.toISOString(), store_id: f.storeId ?? null, cell: f.cell ?? null };
}

export const BucketsSchema = z
  .array(z.object({ le: z.number().nullable(), count: z.number().int() }))
  .openapi({ description: 'Counts in (previous bound, `le`]; the last bucket (`le` null) holds the rest.' });

export const DistributionSchema = AnalyticsScopeSchema.extend({
  count: z.number().int(),
  mean_s: z.number().nullable(),
  p50_s: z.number().nullable().openapi({ description: 'Exact percentile (percentile_cont); null while `count` is 0.' }),
  p90_s: z.number().nullable(),
  p99_s: z.number().nullable(),
  buckets: BucketsSchema,
}).openapi('AnalyticsDistribution');

/** Security and the error answers every analytics route shares. */
export const analyticsRouteCommon = {
  tags: ['analytics'],
  security: SECURITY.operator,
};

export const analyticsErrors = {
  400: errorResponse(
    'Invalid or unknown query parameter (`field` names it), `from` not before `to` or more than 31 days apart (`analytics.invalid_range`).',
  ),
  401: unauthorizedResponse,
  403: forbiddenResponse(),
};

/**
 * What every `/analytics/…` handler does around its one query: operators only, never cached, and the filter the
 * figures were computed for echoed beside them.
 */
export async function analyticsAnswer<T extends object>(
  c: Context,
  deps: { services?: ApiServices | undefined },
  query: Parameters<AnalyticsService['filterOf']>[0],
  compute: (analytics: AnalyticsService, filter: AnalyticsFilter) => Promise<T>,
): Promise<z.infer<typeof AnalyticsScopeSchema> & T> {
  requireOperator(c, 'read delivery analytics');
  const analytics = servicesOf(deps).analytics;
  const filter = analytics.filterOf(query);
  c.header('Cache-Control', 'no-store');
  return { ...scopeJson(filter), ...(await compute(analytics, filter)) };
}
