import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { runHealthChecks, type HealthCheck } from '../../../internal/health/health-check.ts';

const CheckResultSchema = z
  .object({
    adapter: z.string().openapi({
      description: 'postgres: `postgres` | `pglite`; redis: `redis` | `memory`; bus: `kafka` | `memory`; router: `osrm` | `straight-line`',
    }),
    status: z.enum(['up', 'down']),
    latency_ms: z.number(),
    error: z.string().optional().openapi({ description: 'Why the dependency is down.' }),
  })
  .openapi('HealthCheckResult');

const HealthSchema = z
  .object({
    status: z.enum(['ok', 'degraded']),
    checks: z.record(z.string(), CheckResultSchema).openapi({
      description: 'One entry per dependency: `postgres`, `redis`, `bus`, `router`.',
      example: {
        postgres: { adapter: 'postgres', status: 'up', latency_ms: 0.8 },
        redis: { adapter: 'redis', status: 'up', latency_ms: 0.4 },
        bus: { adapter: 'kafka', status: 'up', latency_ms: 2.1 },
        router: { adapter: 'osrm', status: 'up', latency_ms: 1.3 },
      },
    }),
  })
  .openapi('Health');

export const healthRoute = createRoute({
  method: 'get',
  path: '/health',
  tags: ['ops'],
  summary: 'Liveness and dependency health',
  description: 'Checks every dependency (each bounded by a timeout). 503 when any of them is down.',
  responses: {
    200: { description: 'Every dependency is up.', content: { 'application/json': { schema: HealthSchema } } },
    503: { description: 'At least one dependency is down.', content: { 'application/json': { schema: HealthSchema } } },
  },
});

/** `GET /health`. */
export function registerHealthRoute(app: OpenAPIHono, deps: { healthChecks: readonly HealthCheck[] }): void {
  app.openapi(healthRoute, async (c) => {
    const report = await runHealthChecks(deps.healthChecks);
    return report.status === 'ok' ? c.json(report, 200) : c.json(report, 503);
  });
}
