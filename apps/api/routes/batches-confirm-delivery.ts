import { SECURITY, unauthorizedResponse } from '../schemas/security.ts';
import { courierFor } from '../authenticate.ts';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { ConfirmDeliverySchema, ConfirmedDeliverySchema } from '../schemas/batch.ts';
import { roundToDecimetre } from '../../../internal/delivery/drop-distance.ts';
import { errorResponse, IdParamSchema, jsonBody } from '../schemas/common.ts';
import { servicesOf, type ApiServices } from '../services.ts';

export const confirmDeliveryRoute = createRoute({
  operationId: 'confirmBatchDelivery',
  method: 'post',
  path: '/batches/{id}/confirm-delivery',
  tags: ['batches'],
  summary: 'Confirm one drop of a picked-up batch',
  description: [
    "The server decides on its own evidence: the rider's latest GPS fix it received (`POST /riders/{id}/location` or",
    '`POST /riders/locations`; post one at the door, then confirm). That fix must have been received at most',
    '`DELIVERY_FIX_MAX_AGE_S` seconds ago (default 60; 409 `delivery.stale_fix`, or `delivery.no_fix` when the server holds',
    'no current fix: none was ever posted, or the last is older than the 60 s the server keeps a position) and lie at most 30 m (haversine, compared at the 0.1 m shown: 30.0 m passes, 30.1 m',
    "does not) from that order's drop; otherwise 409 `delivery.too_far` with `distance_m` in the details. `lat`/`lon` in the",
    'body are optional; when sent they must lie within 30 m of the fix, else 409 `delivery.claim_disagrees`. After the last',
    'drop the batch is `delivered` and the rider `idle` and available again at that fix. Confirming a drop that is',
    'already delivered again (the same rider retrying after a lost answer) changes nothing and answers what the first',
    'confirmation answered, with `Idempotent-Replayed: true`.',
  ].join(' '),
  security: SECURITY.operatorOrRider,
  request: { params: IdParamSchema, body: jsonBody(ConfirmDeliverySchema) },
  responses: {
    200: {
      description: 'The order is delivered (or was already: a replay of the first answer).',
      headers: {
        'Idempotent-Replayed': {
          description: '`true` when the drop had already been confirmed and this is the first answer again.',
          schema: { type: 'string' as const },
        },
      },
      content: { 'application/json': { schema: ConfirmedDeliverySchema } },
    },
    400: errorResponse('Invalid input; `field` names it (an operator must send `rider_id`).'),
    401: unauthorizedResponse,
    403: errorResponse(
      "Another rider carries this batch (`batch.not_your_batch`), or the token may not act as this rider (`auth.forbidden`: a store key, another rider's `rider_id`).",
    ),
    404: errorResponse('No such batch (`batch.not_found`) or the order is not in it (`delivery.order_not_in_batch`).'),
    409: errorResponse(
      "The rider's GPS fix is too far from the drop (`delivery.too_far`, `details.distance_m`), missing (`delivery.no_fix`) or too old (`delivery.stale_fix`), the claimed point disagrees with it (`delivery.claim_disagrees`), or the batch/order is in the wrong state.",
    ),
    503: errorResponse(
      "The rider's GPS fix cannot be read: the geo store is unavailable (`delivery.fix_unavailable`); retry.",
    ),
  },
});

/** `POST /batches/{id}/confirm-delivery`. */
export function registerConfirmDeliveryRoute(app: OpenAPIHono, deps: { services?: ApiServices | undefined }): void {
  app.openapi(confirmDeliveryRoute, async (c) => {
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    const riderId = courierFor(c, body.rider_id);
    const result = await servicesOf(deps).delivery.confirmDelivery(id, { ...body, rider_id: riderId });
    if (result.replayed) c.header('Idempotent-Replayed', 'true');
    return c.json(
      {
        batch_id: result.batch.id,
        batch_status: result.batch.status,
        order_id: result.order_id,
        distance_m: roundToDecimetre(result.distance_m),
        batch_delivered: result.batch_delivered,
      },
      200,
    );
  });
}
