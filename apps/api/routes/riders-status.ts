import { mayActAsRider } from '../../../internal/auth/policy.ts';
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { forbiddenResponse, SECURITY, unauthorizedResponse } from '../schemas/security.ts';
import { authorize, principalOf } from '../authenticate.ts';
import { errorResponse, IdParamSchema, jsonBody, jsonResponse } from '../schemas/common.ts';
import { RiderSchema, riderJson, ShiftStatusSchema } from '../schemas/rider.ts';
import { servicesOf, type ApiServices } from '../services.ts';

export const riderStatusRoute = createRoute({
  operationId: 'setRiderStatus',
  method: 'post',
  path: '/riders/{id}/status',
  tags: ['riders'],
  summary: 'Put a rider on or off shift',
  description:
    '`idle` makes the rider available for dispatch at its last (or the given) position; `offline` removes it. Repeating the current status is a no-op. A rider carrying a batch cannot change shift: 409 `rider.illegal_transition`.',
  security: SECURITY.operatorOrRider,
  request: { params: IdParamSchema, body: jsonBody(ShiftStatusSchema) },
  responses: {
    200: jsonResponse(RiderSchema, 'The rider after the change.'),
    400: errorResponse('Invalid input; `field` names it.'),
    404: errorResponse('No such rider (`rider.not_found`).'),
    409: errorResponse('The rider carries a batch (`rider.illegal_transition`, details `from`/`to`).'),
    401: unauthorizedResponse,
    403: forbiddenResponse("Another rider's."),
  },
});

/** `POST /riders/{id}/status`. */
export function registerRiderStatusRoute(app: OpenAPIHono, deps: { services?: ApiServices | undefined }): void {
  app.openapi(riderStatusRoute, async (c) => {
    const riderId = c.req.valid('param').id;
    authorize(c, mayActAsRider(principalOf(c), riderId), `change the status of rider ${riderId}`);
    const body = c.req.valid('json');
    const position = body.lat !== undefined && body.lon !== undefined ? { lat: body.lat, lon: body.lon } : undefined;
    const rider = await servicesOf(deps).riders.setShiftStatus(riderId, body.status, position);
    return c.json(riderJson(rider), 200);
  });
}
