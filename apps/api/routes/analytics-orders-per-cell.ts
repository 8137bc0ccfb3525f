import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { jsonResponse, queryNumber } from '../schemas/common.ts';
import type { ApiServices } from '../services.ts';
import {
  analyticsErrors,
  analyticsQuery,
  analyticsRouteCommon,
  AnalyticsScopeSchema,
  analyticsAnswer,
} from './analytics-schemas.ts';

const OrdersPerCellSchema = AnalyticsScopeSchema.extend({
  resolution: z.number().int(),
  hours: z.array(z.string()).openapi({ description: 'Start of every UTC hour that saw an order, ascending.' }),
  cells: z.array(
    z.object({
      cell: z.string().openapi({ description: 'The H3 parent cell at `resolution`.' }),
      lat: z.number(),
      lon: z.number(),
      orders: z.number().int(),
      per_hour: z.array(z.number().int()).openapi({ description: '`per_hour[i]`: orders placed in `hours[i]`.' }),
    }),
  ),
}).openapi('AnalyticsOrdersPerCell');

export const analyticsOrdersPerCellRoute = createRoute({
  operationId: 'getOrdersPerCellAnalytics',
  method: 'get',
  path: '/analytics/orders-per-cell',
  ...analyticsRouteCommon,
  summary: 'Orders per hour per H3 parent cell',
  description:
    "Orders placed in the range per UTC hour, grouped by the parent at `resolution` of each order's drop cell; cells with most orders first. A resolution finer than the orders' cells is a 400 `analytics.resolution_too_fine`.",
  request: {
    query: z.strictObject({
      ...analyticsQuery,
      resolution: queryNumber({ integer: true, minimum: 0, maximum: 15, default: 7 }).openapi({
        param: { name: 'resolution', in: 'query' },
        description: 'H3 resolution 0–15 (default 7).',
      }),
    }),
  },
  responses: { 200: jsonResponse(OrdersPerCellSchema, 'The counts.'), ...analyticsErrors },
});

/** `GET /analytics/orders-per-cell`. */
export function registerAnalyticsOrdersPerCellRoute(
  app: OpenAPIHono,
  deps: { services?: ApiServices | undefined },
): void {
  app.openapi(analyticsOrdersPerCellRoute, async (c) => {
    const { resolution, ...query } = c.req.valid('query');
    return c.json(await analyticsAnswer(c, deps, query, (a, filter) => a.ordersPerCell(filter, resolution)), 200);
  });
}
