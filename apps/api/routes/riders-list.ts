import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { forbiddenResponse, SECURITY, unauthorizedResponse } from '../schemas/security.ts';
import { requireOperator } from '../authenticate.ts';
import { errorResponse, jsonResponse } from '../schemas/common.ts';
import { pageJson, pageQuery, pageSchema } from '../schemas/page.ts';
import { RiderSchema, RiderStatusSchema, riderJson } from '../schemas/rider.ts';
import { servicesOf, type ApiServices } from '../services.ts';

export const listRidersRoute = createRoute({
  operationId: 'listRiders',
  method: 'get',
  path: '/riders',
  tags: ['riders'],
  summary: 'List riders',
  description: 'Newest first (by `created_at`, then id), each as `GET /riders/{id}` shows it. Page with `cursor`.',
  security: SECURITY.operator,
  request: {
    query: z.strictObject({ status: RiderStatusSchema.optional(), ...pageQuery }),
  },
  responses: {
    200: jsonResponse(pageSchema(RiderSchema, 'RiderPage'), 'A page of riders.'),
    400: errorResponse('Invalid filter, limit or cursor; `field` names it.'),
    401: unauthorizedResponse,
    403: forbiddenResponse(),
  },
});

/** `GET /riders`. */
export function registerListRidersRoute(app: OpenAPIHono, deps: { services?: ApiServices | undefined }): void {
  app.openapi(listRidersRoute, async (c) => {
    requireOperator(c, 'list riders');
    const { status, limit, cursor } = c.req.valid('query');
    const page = await servicesOf(deps).lists.riders({ status }, { limit, after: cursor });
    return c.json(pageJson(page, riderJson), 200);
  });
}
