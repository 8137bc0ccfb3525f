import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { requireOperator } from '../authenticate.ts';
import { errorResponse, IdParamSchema, jsonResponse } from '../schemas/common.ts';
import { RiderTokenSchema } from '../schemas/rider.ts';
import { forbiddenResponse, SECURITY, unauthorizedResponse } from '../schemas/security.ts';
import { servicesOf, type ApiServices } from '../services.ts';

export const riderTokenRoute = createRoute({
  operationId: 'issueRiderToken',
  method: 'post',
  path: '/riders/{id}/token',
  tags: ['riders'],
  summary: 'Issue a new token for a rider',
  description:
    'A new rider token (`dgo_rd_…`, shown once) for a rider registered earlier — a new phone, or a lost token. Earlier tokens stay valid until revoked (`npm run keys -- revoke ID`).',
  security: SECURITY.operator,
  request: { params: IdParamSchema },
  responses: {
    201: jsonResponse(RiderTokenSchema, 'The new token.'),
    400: errorResponse('Malformed id.'),
    401: unauthorizedResponse,
    403: forbiddenResponse(),
    404: errorResponse('No such rider (`rider.not_found`).'),
  },
});

/** `POST /riders/{id}/token`. */
export function registerRiderTokenRoute(app: OpenAPIHono, deps: { services?: ApiServices | undefined }): void {
  app.openapi(riderTokenRoute, async (c) => {
    requireOperator(c, 'issue rider tokens');
    const services = servicesOf(deps);
    const rider = await services.riders.get(c.req.valid('param').id);
    const token = await services.credentials.issue('rider', rider.id, `rider ${rider.name}`);
    return c.json({ token }, 201);
  });
}
