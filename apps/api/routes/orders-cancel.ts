import { isOperator, mayManageOrder } from '../../../internal/auth/policy.ts';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { SECURITY } from '../schemas/security.ts';
import { authorize, principalOf } from '../authenticate.ts';
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
  security: SECURITY.operatorOrStore,
  ...orderTransition,
});

/** `POST /orders/{id}/cancel`. */
export function registerOrderCancelRoute(app: OpenAPIHono, deps: { services?: ApiServices | undefined }): void {
  app.openapi(orderCancelRoute, async (c) => {
    const services = servicesOf(deps);
    const { id } = c.req.valid('param');
    const principal = principalOf(c);
    // Only an operator skips the read: a store key must own the order.
    if (!isOperator(principal)) {
      const current = await services.orders.get(id);
      authorize(c, mayManageOrder(principal, { storeId: current.store_id }), `cancel order ${id}`);
    }
    const order = await services.orders.cancel(id);
    return c.json(orderJson(order), 200);
  });
}
