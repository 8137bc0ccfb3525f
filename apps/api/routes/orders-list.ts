import { listStoreScope } from '../../../internal/auth/policy.ts';
import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { forbiddenResponse, SECURITY, unauthorizedResponse } from '../schemas/security.ts';
import { authorize, principalOf } from '../authenticate.ts';
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
  security: SECURITY.operatorOrStore,
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
    401: unauthorizedResponse,
    403: forbiddenResponse("`store_id` names another store than the key's."),
  },
});

/** `GET /orders`. */
export function registerListOrdersRoute(app: OpenAPIHono, deps: { services?: ApiServices | undefined }): void {
  app.openapi(listOrdersRoute, async (c) => {
    const { status, store_id, since, limit, cursor } = c.req.valid('query');
    // A store key lists its own store's orders only.
    const scope = listStoreScope(principalOf(c), store_id);
    authorize(c, scope.allowed, store_id ? `list the orders of store ${store_id}` : 'list orders');
    const page = await servicesOf(deps).lists.orders(
      {
        status,
        storeId: scope.allowed ? scope.storeId : store_id,
        since: since === undefined ? undefined : new Date(since),
      },
      { limit, after: cursor },
    );
    return c.json(pageJson(page, orderJson), 200);
  });
}
