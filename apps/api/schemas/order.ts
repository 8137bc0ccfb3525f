import { z } from '@hono/zod-openapi';
import { roundToDecimetre } from '../../../internal/delivery/drop-distance.ts';
import type { OrderWithDispatch } from '../../../internal/orders/order-repository.ts';
import { forbiddenResponse, unauthorizedResponse } from './security.ts';
import { errorResponse, IdParamSchema, InstantSchema, iso, jsonResponse, LatLonSchema } from './common.ts';

export const OrderStatusSchema = z
  .enum(['placed', 'cooking', 'ready', 'batched', 'assigned', 'picked_up', 'delivered', 'cancelled'])
  .openapi('OrderStatus');

export const OrderItemSchema = z
  .strictObject({ name: z.string().trim().min(1).max(200), qty: z.number().int().min(1).max(1000) })
  .openapi('OrderItem');

export const NewOrderSchema = z
  .strictObject({
    store_id: z.uuid(),
    drop: LatLonSchema.openapi({ description: "The customer's drop point." }),
    items: z.array(OrderItemSchema).min(1).max(100),
    prep_minutes: z
      .number()
      .min(0)
      .max(24 * 60)
      .optional()
      .openapi({ description: 'Minutes until the kitchen expects it ready. Give this or `ready_at`.' }),
    ready_at: InstantSchema.optional().openapi({
      description: 'When the kitchen expects it ready. Give this or `prep_minutes`.',
    }),
    promised_at: InstantSchema.optional().openapi({
      description: 'Promised delivery time; default `ready_at` + 30 minutes.',
    }),
  })
  .superRefine((v, ctx) => {
    if (v.prep_minutes === undefined && v.ready_at === undefined) {
      ctx.addIssue({ code: 'custom', path: ['prep_minutes'], message: 'one of prep_minutes or ready_at is required' });
    } else if (v.prep_minutes !== undefined && v.ready_at !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['ready_at'], message: 'give prep_minutes or ready_at, not both' });
    }
  })
  .openapi('NewOrder');

export const IdempotencyHeaderSchema = z.object({
  'idempotency-key': z.string().min(1).max(255).optional().openapi({
    description:
      'A retry with the same key returns the same order (200, `Idempotent-Replayed: true`); the same key with another body is a 409.',
    example: 'c0a8f2b4-order-1',
  }),
});

export const OrderSchema = z
  .object({
    id: z.uuid(),
    store_id: z.uuid(),
    status: OrderStatusSchema,
    drop: LatLonSchema,
    h3_cell: z.string(),
    items: z.array(OrderItemSchema),
    placed_at: z.string(),
    ready_at: z.string().openapi({ description: 'When the kitchen expects it ready.' }),
    kitchen_status: z.enum(['waiting', 'cooking', 'ready']).openapi({
      description:
        'Where the kitchen is, whatever dispatch has done: `waiting` (not started), `cooking`, `ready`. Once an order is batched `status` follows dispatch, so this is the kitchen’s view.',
    }),
    cooking_started_at: z
      .string()
      .nullable()
      .openapi({ description: 'When the store said it started cooking (`POST /orders/{id}/cooking`).' }),
    ready_marked_at: z
      .string()
      .nullable()
      .openapi({ description: 'When the store marked it ready (start of the matching SLA).' }),
    promised_at: z.string(),
    batched_at: z.string().nullable(),
    assigned_at: z.string().nullable(),
    picked_up_at: z.string().nullable(),
    delivered_at: z.string().nullable(),
    cancelled_at: z.string().nullable(),
    cancel_reason: z.enum(['customer', 'drop_unreachable']).nullable().openapi({
      description: 'Why a cancelled order was cancelled: by request, or because dispatch found no road to its drop.',
    }),
    batch_id: z.string().nullable(),
    rider_id: z.string().nullable(),
    eta: z.string().nullable().openapi({ description: 'Estimated drop time from the refined route, once known.' }),
    delivery_distance_m: z.number().nullable().openapi({
      description: 'How far from the drop the rider confirmed delivery, metres to 0.1 (as the confirmation answered).',
    }),
  })
  .openapi('Order');

/** `POST /orders` 201: the order and its read token. */
export const CreatedOrderSchema = OrderSchema.extend({
  read_token: z.string().openapi({
    description:
      'The order read token (`dgo_or_…`), shown once: grants `GET /orders/{id}` of this order and the WebSocket channel `order:{id}`, for the customer. A replay (200) does not repeat it.',
    example: 'dgo_or_3q2-7wEjQ1m0cXlJb8oHkZrT5a9VdYsNfGuPiLxCe4A',
  }),
}).openapi('CreatedOrder');

export function orderJson(o: OrderWithDispatch): z.infer<typeof OrderSchema> {
  const live = o.status !== 'delivered' && o.status !== 'cancelled';
  return {
    id: o.id,
    store_id: o.store_id,
    status: o.status,
    drop: { lat: o.drop_lat, lon: o.drop_lon },
    h3_cell: o.h3_cell,
    items: o.items as Array<{ name: string; qty: number }>,
    placed_at: o.placed_at.toISOString(),
    ready_at: o.ready_at.toISOString(),
    kitchen_status:
      o.ready_marked_at !== null || o.status === 'ready'
        ? 'ready'
        : o.cooking_started_at !== null || o.status === 'cooking'
          ? 'cooking'
          : 'waiting',
    cooking_started_at: iso(o.cooking_started_at),
    ready_marked_at: iso(o.ready_marked_at),
    promised_at: o.promised_at.toISOString(),
    batched_at: iso(o.batched_at),
    assigned_at: iso(o.assigned_at),
    picked_up_at: iso(o.picked_up_at),
    delivered_at: iso(o.delivered_at),
    cancelled_at: iso(o.cancelled_at),
    cancel_reason: o.cancel_reason,
    batch_id: o.batch_id,
    rider_id: o.rider_id,
    eta: live ? iso(o.eta) : null,
    // To the 0.1 m the confirmation answered with (the row keeps the exact haversine figure).
    delivery_distance_m: o.delivery_distance_m === null ? null : roundToDecimetre(o.delivery_distance_m),
  };
}

/** Request and answers of every order state change (`POST /orders/{id}/cooking`, `…/ready`, `…/cancel`). */
export const orderTransition = {
  request: { params: IdParamSchema },
  responses: {
    200: jsonResponse(OrderSchema, 'The order after the change.'),
    400: errorResponse('Malformed id.'),
    404: errorResponse('No such order (`order.not_found`).'),
    401: unauthorizedResponse,
    403: forbiddenResponse("The order is another store's."),
    409: errorResponse(
      "Illegal in the order's current state (`order.illegal_transition`, details `from`/`to`), a repeated kitchen step (`order.already_cooking`, `order.already_ready`) or a cancellation after the batch was sealed (`order.cancel_too_late`).",
    ),
  },
};
