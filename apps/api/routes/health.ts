import { createRoute, z, type OpenAPIHono } from '@hono/zod-openapi';
import { SECURITY } from '../schemas/security.ts';
import { runHealthChecks, type HealthCheck } from '../../../internal/health/health-check.ts';

const CheckResultSchema = z
  .object({
    adapter: z.string().openapi({
      description:
        'postgres: `postgres` | `pglite`; redis: `redis` | `memory`; bus: `kafka` | `memory`; router: `osrm` | `straight-line`',
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
    dispatch_params: z
      .object({
        name: z
          .string()
          .openapi({ description: "`defaults`, the parameter file's `name`, plus `+<overlay>` for each overlay." }),
        source: z
          .string()
          .openapi({ description: '`built-in` or the `DISPATCH_PARAMS_FILE` path, then ` + DISPATCH_PARAMS` etc.' }),
        hash: z.string().openapi({
          description: 'First 12 hex digits of the SHA-256 of the resolved parameters: equal hash, same dispatcher.',
        }),
      })
      .optional()
      .openapi({
        description: 'The dispatch parameter set in use (internal/config/dispatch-params.ts).',
        example: { name: 'tuned-2026-12-02', source: '/etc/deliverygo/dispatch.json', hash: '3f9c2a61d0b4' },
      }),
  })
  .openapi('Health');

export const healthRoute = createRoute({
  operationId: 'getHealth',
  method: 'get',
  path: '/health',
  tags: ['ops'],
  summary: 'Liveness and dependency health',
  description:
    'Checks every dependency (each bounded by a timeout). 503 when any of them is down. Also names the dispatch parameter set.',
  security: SECURITY.public,
  responses: {
    200: { description: 'Every dependency is up.', content: { 'application/json': { schema: HealthSchema } } },
    503: { description: 'At least one dependency is down.', content: { 'application/json': { schema: HealthSchema } } },
  },
});

/** `GET /health`. */
export function registerHealthRoute(
  app: OpenAPIHono,
  deps: {
    healthChecks: readonly HealthCheck[];
    dispatchParams?: { readonly name: string; readonly source: string; readonly hash: string } | undefined;
  },
): void {
  app.openapi(healthRoute, async (c) => {
    const checks = await runHealthChecks(deps.healthChecks);
    const report = deps.dispatchParams ? { ...checks, dispatch_params: { ...deps.dispatchParams } } : checks;
    return checks.status === 'ok' ? c.json(report, 200) : c.json(report, 503);
  });
}
