import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { forbiddenResponse, SECURITY, unauthorizedResponse } from '../schemas/security.ts';
import { requireOperator } from '../authenticate.ts';
import { errorResponse, jsonBody, jsonResponse } from '../schemas/common.ts';
import { CreatedRiderSchema, NewRiderSchema, riderJson } from '../schemas/rider.ts';
import { servicesOf, type ApiServices } from '../services.ts';

export const createRiderRoute = createRoute({
  operationId: 'createRider',
  method: 'post',
  path: '/riders',
  tags: ['riders'],
  summary: 'Register a rider',
  description:
    'Starts `offline` unless `status: idle` is given. With a position the rider is placed in the geo store; an idle rider with a position is available for dispatch at once.',
  security: SECURITY.operator,
  request: { body: jsonBody(NewRiderSchema) },
  responses: {
    201: jsonResponse(CreatedRiderSchema, 'The new rider, with its token (`token`, shown once).'),
    400: errorResponse('Invalid input; `field` names it.'),
    401: unauthorizedResponse,
    403: forbiddenResponse(),
  },
});

/** `POST /riders`. */
export function registerCreateRiderRoute(app: OpenAPIHono, deps: { services?: ApiServices | undefined }): void {
  app.openapi(createRiderRoute, async (c) => {
    requireOperator(c, 'register riders');
    const services = servicesOf(deps);
    const body = c.req.valid('json');
    const rider = await services.riders.register({
      name: body.name,
      status: body.status,
      ...(body.lat !== undefined && body.lon !== undefined ? { position: { lat: body.lat, lon: body.lon } } : {}),
    });
    const token = await services.credentials.issue('rider', rider.id, `rider ${rider.name}`);
    return c.json({ ...riderJson(rider), token }, 201);
  });
}
