import { isOperator, mayManageOrder } from '../../../internal/auth/policy.ts';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { SECURITY } from '../schemas/security.ts';
import { authorize, principalOf } from '../authenticate.ts';
import { orderJson, orderTransition } from '../schemas/order.ts';
import { servicesOf, type ApiServices } from '../services.ts';

export const orderReadyRoute = createRoute({
  operationId: 'markOrderReady',
  method: 'post',
  path: '/orders/{id}/ready',
  tags: ['orders'],
  summary: 'The kitchen finished the order',
  description:
    'Records `ready_marked_at` (the start of the 30-second matching SLA) and publishes `order.ready`. From placed/cooking the status becomes `ready`; a batched or assigned order keeps its status. Marking ready twice: 409 `order.already_ready`.',
  security: SECURITY.operatorOrStore,
  ...orderTransition,
});

/** `POST /orders/{id}/ready`. */
export function registerOrderReadyRoute(app: OpenAPIHono, deps: { services?: ApiServices | undefined }): void {
  app.openapi(orderReadyRoute, async (c) => {
    const services = servicesOf(deps);
    const { id } = c.req.valid('param');
    const principal = principalOf(c);
    // Only an operator skips the read: a store key must own the order.
    if (!isOperator(principal)) {
      const current = await services.orders.get(id);
      authorize(c, mayManageOrder(principal, { storeId: current.store_id }), `mark ready order ${id}`);
    }
    const order = await services.orders.markReady(id);
    return c.json(orderJson(order), 200);
  });
}
