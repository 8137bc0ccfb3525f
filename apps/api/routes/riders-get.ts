import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { errorResponse, IdParamSchema, jsonResponse } from '../schemas/common.ts';
import { RiderSchema, riderJson } from '../schemas/rider.ts';
import { servicesOf, type ApiServices } from '../services.ts';

export const getRiderRoute = createRoute({
  operationId: 'getRider',
  method: 'get',
  path: '/riders/{id}',
  tags: ['riders'],
  summary: 'Get a rider',
  request: { params: IdParamSchema },
  responses: {
    200: jsonResponse(RiderSchema, 'The rider, with the batch it carries.'),
    400: errorResponse('Malformed id.'),
    404: errorResponse('No such rider (`rider.not_found`).'),
  },
});

/** `GET /riders/{id}`. */
export function registerGetRiderRoute(app: OpenAPIHono, deps: { services?: ApiServices | undefined }): void {
  app.openapi(getRiderRoute, async (c) => {
    const rider = await servicesOf(deps).riders.get(c.req.valid('param').id);
    return c.json(riderJson(rider), 200);
  });
}
