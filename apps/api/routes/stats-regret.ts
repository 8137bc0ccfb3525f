import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { jsonResponse } from '../schemas/common.ts';
import { forbiddenResponse, SECURITY, unauthorizedResponse } from '../schemas/security.ts';
import { requireOperator } from '../authenticate.ts';
import { servicesOf, type ApiServices } from '../services.ts';

const RegretStatsSchema = z
  .object({
    count: z
      .number()
      .int()
      .openapi({ description: 'Batches whose regret in hindsight is computed (delivered, decision window over).' }),
    mean: z.number().nullable().openapi({ description: 'Weighted seconds.' }),
    p50: z.number().nullable().openapi({ description: 'Median, weighted seconds (percentile_cont).' }),
    p95: z.number().nullable().openapi({ description: 'Weighted seconds.' }),
    share_above_threshold: z
      .number()
      .nullable()
      .openapi({ description: 'Share of batches with regret above `threshold`.' }),
    threshold: z.number().openapi({ example: 60, description: 'Weighted seconds.' }),
    mean_relative: z.number().nullable().openapi({ description: 'Mean of regret / realised cost.' }),
    unit: z.literal('weighted_seconds'),
  })
  .openapi('RegretStats');

export const regretStatsRoute = createRoute({
  operationId: 'getRegretStats',
  method: 'get',
  path: '/stats/regret',
  tags: ['stats'],
  summary: 'Batching regret summary',
  description:
    'Regret per batch in hindsight: the realised cost of the decision (rider seconds + ready-to-door seconds + 2 × late seconds) minus the cost of the best alternative for the same orders known after the fact (another drop order, a split over the riders who were free, a merge with an earlier batch of the store). See docs/dispatch-quality.md. Figures are null while no batch has one.',
  security: SECURITY.operator,
  responses: {
    200: jsonResponse(RegretStatsSchema, 'Summary over every batch with a computed regret.'),
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
