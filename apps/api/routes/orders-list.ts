import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { errorResponse, InstantSchema, jsonResponse } from '../schemas/common.ts';
import { OrderSchema, OrderStatusSchema, orderJson } from '../schemas/order.ts';
import { pageJson, pageQuery, pageSchema } from '../schemas/page.ts';
import { servicesOf, type ApiServices } from '../services.ts';

export const listOrdersRoute = createRoute({
  operationId: 'listOrders',
  method: 'get',
  path: '/orders',
  tags: ['orders'],
  summary: 'List orders',
  description:
    'Newest first (by `placed_at`, then id), each as `GET /orders/{id}` shows it. Filters combine; page with `cursor`.',
  request: {
    query: z.strictObject({
      status: OrderStatusSchema.optional(),
      store_id: z.uuid().optional().openapi({ description: 'Only orders of this store.' }),
      since: InstantSchema.optional().openapi({ description: 'Only orders placed at or after this instant.' }),
      ...pageQuery,
    }),
  },
  responses: {
    200: jsonResponse(pageSchema(OrderSchema, 'OrderPage'), 'A page of orders.'),
    400: errorResponse('Invalid filter, limit or cursor; `field` names it.'),
  },
});

/** `GET /orders`. */
export function registerListOrdersRoute(app: OpenAPIHono, deps: { services?: ApiServices | undefined }): void {
  app.openapi(listOrdersRoute, async (c) => {
    const { status, store_id, since, limit, cursor } = c.req.valid('query');
    const page = await servicesOf(deps).lists.orders(
      { status, storeId: store_id, since: since === undefined ? undefined : new Date(since) },
      { limit, after: cursor },
    );
    return c.json(pageJson(page, orderJson), 200);
  });
}
