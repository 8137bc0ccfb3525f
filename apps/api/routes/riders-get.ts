import { mayActAsRider } from '../../../internal/auth/policy.ts';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { forbiddenResponse, SECURITY, unauthorizedResponse } from '../schemas/security.ts';
import { authorize, principalOf } from '../authenticate.ts';
import { errorResponse, IdParamSchema, jsonResponse } from '../schemas/common.ts';
import { RiderSchema, riderJson } from '../schemas/rider.ts';
import { servicesOf, type ApiServices } from '../services.ts';

export const getRiderRoute = createRoute({
  operationId: 'getRider',
  method: 'get',
  path: '/riders/{id}',
  tags: ['riders'],
  summary: 'Get a rider',
  security: SECURITY.operatorOrRider,
  request: { params: IdParamSchema },
  responses: {
    200: jsonResponse(RiderSchema, 'The rider, with the batch it carries.'),
    400: errorResponse('Malformed id.'),
    404: errorResponse('No such rider (`rider.not_found`).'),
    401: unauthorizedResponse,
    403: forbiddenResponse("Another rider's."),
  },
});

/** `GET /riders/{id}`. */
export function registerGetRiderRoute(app: OpenAPIHono, deps: { services?: ApiServices | undefined }): void {
  app.openapi(getRiderRoute, async (c) => {
    const riderId = c.req.valid('param').id;
    authorize(c, mayActAsRider(principalOf(c), riderId), `read rider ${riderId}`);
    const rider = await servicesOf(deps).riders.get(riderId);
    return c.json(riderJson(rider), 200);
  });
}
