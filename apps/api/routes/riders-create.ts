import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { errorResponse, jsonBody, jsonResponse } from '../schemas/common.ts';
import { NewRiderSchema, RiderSchema, riderJson } from '../schemas/rider.ts';
import { servicesOf, type ApiServices } from '../services.ts';

export const createRiderRoute = createRoute({
  operationId: 'createRider',
  method: 'post',
  path: '/riders',
  tags: ['riders'],
  summary: 'Register a rider',
  description:
    'Starts `offline` unless `status: idle` is given. With a position the rider is placed in the geo store; an idle rider with a position is available for dispatch at once.',
  request: { body: jsonBody(NewRiderSchema) },
  responses: {
    201: jsonResponse(RiderSchema, 'The new rider.'),
    400: errorResponse('Invalid input; `field` names it.'),
  },
});

/** `POST /riders`. */
export function registerCreateRiderRoute(app: OpenAPIHono, deps: { services?: ApiServices | undefined }): void {
  app.openapi(createRiderRoute, async (c) => {
    const body = c.req.valid('json');
    const rider = await servicesOf(deps).riders.register({
      name: body.name,
      status: body.status,
      ...(body.lat !== undefined && body.lon !== undefined ? { position: { lat: body.lat, lon: body.lon } } : {}),
    });
    return c.json(riderJson(rider), 201);
  });
}
