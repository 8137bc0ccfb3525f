import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { SECURITY } from '../schemas/security.ts';
import type { Registry } from 'prom-client';

export const metricsRoute = createRoute({
  operationId: 'getMetrics',
  method: 'get',
  path: '/metrics',
  tags: ['ops'],
  summary: 'Prometheus metrics',
  security: SECURITY.public,
  responses: {
    200: { description: 'Prometheus text exposition format.', content: { 'text/plain': { schema: z.string() } } },
  },
});

/** `GET /metrics`: the process's prom-client registry. */
export function registerMetricsRoute(app: OpenAPIHono, deps: { metrics: Registry }): void {
  app.openapi(metricsRoute, async (c) => {
    const body = await deps.metrics.metrics();
    return c.text(body, 200, { 'Content-Type': deps.metrics.contentType });
  });
}
