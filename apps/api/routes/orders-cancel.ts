import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { orderJson, orderTransition } from '../schemas/order.ts';
import { servicesOf, type ApiServices } from '../services.ts';

export const orderCancelRoute = createRoute({
  operationId: 'cancelOrder',
  method: 'post',
  path: '/orders/{id}/cancel',
  tags: ['orders'],
  summary: 'Cancel an order',
  description:
    "Allowed until the order's batch is sealed: a placed, cooking or ready order, or one in an open batch (which it leaves). Dispatch seals a batch once its orders are ready (then the route is fixed and a rider is being matched), so an order whose batch is sealed or assigned answers 409 `order.cancel_too_late`; a picked-up, delivered or cancelled one 409 `order.illegal_transition`.",
  ...orderTransition,
});

/** `POST /orders/{id}/cancel`. */
export function registerOrderCancelRoute(app: OpenAPIHono, deps: { services?: ApiServices | undefined }): void {
  app.openapi(orderCancelRoute, async (c) => {
    const order = await servicesOf(deps).orders.cancel(c.req.valid('param').id);
    return c.json(orderJson(order), 200);
  });
}
