import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { requireOperator } from '../authenticate.ts';
import { errorResponse, jsonResponse, queryNumber } from '../schemas/common.ts';
import { forbiddenResponse, SECURITY, unauthorizedResponse } from '../schemas/security.ts';
import { servicesOf, type ApiServices } from '../services.ts';

const SlaStatsSchema = z
  .object({
    count: z.number().int().openapi({ description: 'Orders given a rider within the window.' }),
    p50: z.number().nullable().openapi({ description: 'Seconds from ready to assigned, median (percentile_cont).' }),
    p95: z.number().nullable(),
    p99: z.number().nullable(),
    within_sla: z.number().nullable().openapi({ description: 'Share of the orders assigned within `sla_s`.' }),
    sla_s: z.number().openapi({ example: 30 }),
    window_minutes: z.number().int(),
    buckets: z
      .array(z.object({ le: z.number(), count: z.number().int() }))
      .openapi({ description: 'Cumulative counts at the bounds of `dispatch_ready_to_assigned_seconds`.' }),
  })
  .openapi('SlaStats');

const SlaQuerySchema = z.strictObject({
  window_minutes: queryNumber({ integer: true, minimum: 1, maximum: 10_080, default: 60 }).openapi({
    param: { name: 'window_minutes', in: 'query' },
    description: '1–10 080 (default 60).',
  }),
});

export const slaStatsRoute = createRoute({
  operationId: 'getSlaStats',
  method: 'get',
  path: '/stats/sla',
  tags: ['stats'],
  summary: 'Ready → assigned SLA percentiles',
  description:
    'P50/P95/P99 seconds from an order marked ready to its rider assignment (0 when assigned before ready), over the orders assigned in the window: the quantity and bucket bounds of the `dispatch_ready_to_assigned_seconds` histogram, read from Postgres so every worker counts. Figures are null while the window holds no assignment.',
  security: SECURITY.operator,
  request: { query: SlaQuerySchema },
  responses: {
    200: jsonResponse(SlaStatsSchema, 'The SLA figures.'),
    400: errorResponse('Invalid `window_minutes`.'),
    401: unauthorizedResponse,
    403: forbiddenResponse(),
  },
});

/** `GET /stats/sla`. */
export function registerSlaStatsRoute(app: OpenAPIHono, deps: { services?: ApiServices | undefined }): void {
  app.openapi(slaStatsRoute, async (c) => {
    requireOperator(c, 'read SLA stats');
    const { window_minutes } = c.req.valid('query');
    c.header('Cache-Control', 'no-store');
    return c.json(await servicesOf(deps).stats.sla(window_minutes), 200);
  });
}
