import { z } from '@hono/zod-openapi';
import type { BatchView } from '../../../internal/delivery/batch-view.ts';
import { iso, LonSchema, RiderLatSchema } from './common.ts';
import { OrderStatusSchema } from './order.ts';

export const StopSchema = z
  .object({
    kind: z.enum(['pickup', 'drop']),
    order_id: z.string().nullable(),
    lat: z.number(),
    lon: z.number(),
    eta: z.string(),
  })
  .openapi('Stop');

export const BatchStatusSchema = z
  .enum(['open', 'sealed', 'assigned', 'picked_up', 'delivered', 'cancelled'])
  .openapi('BatchStatus');

export const BatchSchema = z
  .object({
    id: z.uuid(),
    store_id: z.uuid(),
    path_id: z.string(),
    status: BatchStatusSchema,
    rider_id: z.string().nullable(),
    capacity: z.number().int(),
    order_count: z.number().int(),
    orders: z.array(
      z.object({
        id: z.uuid(),
        status: OrderStatusSchema,
        sequence: z.number().int(),
        drop: z.object({ lat: z.number(), lon: z.number() }),
        ready_marked_at: z.string().nullable(),
        delivered_at: z.string().nullable(),
      }),
    ),
    stops: z
      .array(StopSchema)
      .nullable()
      .openapi({ description: "The refined route's stops with ETAs, pickup first; null until refined." }),
    estimated_cost_s: z.number(),
    refined_cost_s: z.number().nullable(),
    opened_at: z.string(),
    ready_at: z.string(),
    sealed_at: z.string().nullable(),
    seal_reason: z.string().nullable(),
    assigned_at: z.string().nullable(),
    picked_up_at: z.string().nullable(),
    delivered_at: z.string().nullable(),
  })
  .openapi('Batch');

export function batchJson(b: BatchView): z.infer<typeof BatchSchema> {
  return {
    id: b.id,
    store_id: b.store_id,
    path_id: b.path_id,
    status: b.status,
    rider_id: b.rider_id,
    capacity: b.capacity,
    order_count: b.order_count,
    orders: b.orders.map((o) => ({
      id: o.id,
      status: o.status,
      sequence: o.sequence,
      drop: { lat: o.drop_lat, lon: o.drop_lon },
      ready_marked_at: iso(o.ready_marked_at),
      delivered_at: iso(o.delivered_at),
    })),
    stops: b.stops,
    estimated_cost_s: b.estimated_cost_s,
    refined_cost_s: b.refined_cost_s,
    opened_at: b.opened_at.toISOString(),
    ready_at: b.ready_at.toISOString(),
    sealed_at: iso(b.sealed_at),
    seal_reason: b.seal_reason,
    assigned_at: iso(b.assigned_at),
    picked_up_at: iso(b.picked_up_at),
    delivered_at: iso(b.delivered_at),
  };
}

export const PickupSchema = z
  .strictObject({
    rider_id: z.uuid().optional().openapi({
      description:
        "The rider acting. With a rider token it may be left out (the token's rider acts) and, when sent, must be that rider (else 403 `auth.forbidden`); an operator must send it.",
    }),
  })
  .openapi('BatchPickup');

export const ConfirmDeliverySchema = z
  .strictObject({
    order_id: z.uuid(),
    rider_id: z.uuid().optional().openapi({
      description:
        "The rider acting. With a rider token it may be left out (the token's rider acts) and, when sent, must be that rider (else 403 `auth.forbidden`); an operator must send it.",
    }),
    lat: RiderLatSchema.optional().openapi({
      description:
        "Optional: where the rider's app says it stands. The drop is judged on the rider's last GPS fix the server received, not on this point; when sent (with `lon`), it must lie within 30 m of that fix.",
    }),
    lon: LonSchema.optional(),
  })
  // Half a point is a client bug, not a position: both or neither.
  .refine((b) => (b.lat === undefined) === (b.lon === undefined), {
    message: 'lat and lon go together: send both or neither',
    path: ['lon'],
  })
  .openapi('DeliveryConfirmation');

export const ConfirmedDeliverySchema = z
  .object({
    batch_id: z.uuid(),
    batch_status: z.string(),
    order_id: z.uuid(),
    distance_m: z
      .number()
      .openapi({ description: 'Metres between the reported position and the drop, to 0.1 m (at most 30.0).' }),
    batch_delivered: z.boolean().openapi({ description: 'True when this was the last drop: the rider is idle again.' }),
  })
  .openapi('ConfirmedDelivery');
