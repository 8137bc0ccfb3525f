import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { jsonResponse } from '../schemas/common.ts';
import { forbiddenResponse, SECURITY, unauthorizedResponse } from '../schemas/security.ts';
import { requireOperator } from '../authenticate.ts';
import { servicesOf, type ApiServices } from '../services.ts';

const RegretStatsSchema = z
  .object({
    count: z.number().int().openapi({ description: 'Batches with a regret row.' }),
    mean: z.number().nullable(),
    p50: z.number().nullable().openapi({ description: 'Median (percentile_cont).' }),
    p95: z.number().nullable(),
    share_above_threshold: z
      .number()
      .nullable()
      .openapi({ description: 'Share of batches with regret above `threshold`.' }),
    threshold: z.number().openapi({ example: 0.2 }),
  })
  .openapi('RegretStats');

export const regretStatsRoute = createRoute({
  operationId: 'getRegretStats',
  method: 'get',
  path: '/stats/regret',
  tags: ['stats'],
  summary: 'Batching regret summary',
  description:
    'Regret per batch = (refined − estimated) / estimated route seconds. Figures are null while there are no rows.',
  security: SECURITY.operator,
  responses: {
    200: jsonResponse(RegretStatsSchema, 'Summary over every batch_regret row.'),
    401: unauthorizedResponse,
    403: forbiddenResponse(),
  },
});

/** `GET /stats/regret`. */
export function registerRegretStatsRoute(app: OpenAPIHono, deps: { services?: ApiServices | undefined }): void {
  app.openapi(regretStatsRoute, async (c) => {
    requireOperator(c, 'read regret stats');
    return c.json(await servicesOf(deps).stats.regret(), 200);
  });
}
