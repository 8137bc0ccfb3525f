import { createRoute, z } from '@hono/zod-openapi';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { HealthCheck } from '../../internal/health/health-check.ts';
import { conflict, invalidInput } from '../../internal/platform/errors.ts';
import { silentLogger } from '../../internal/platform/logger.ts';
import { createApiApp } from './app.ts';
import type { ErrorBody } from './error-handler.ts';

const up = (name: string, adapter: string): HealthCheck => ({ name, adapter, check: async () => {} });
const down = (name: string, adapter: string, why: string): HealthCheck => ({
  name,
  adapter,
  check: async () => {
    throw new Error(why);
  },
});

/** The real app plus one tiny route, to exercise validation and error mapping the way feature routes will. */
function appWithTestRoute(checks: HealthCheck[] = []) {
  const app = createApiApp({ logger: silentLogger, healthChecks: checks, metrics: new Registry() });
  const quote = createRoute({
    method: 'post',
    path: '/test/quotes',
    request: {
      query: z.object({ limit: z.coerce.number().int().min(1).optional() }),
      body: {
        content: {
          'application/json': {
            schema: z.object({
              drop: z.object({ lat: z.number().min(-90).max(90), lon: z.number().min(-180).max(180) }),
              items: z.array(z.object({ qty: z.number().int().positive() })).default([]),
            }),
          },
        },
      },
    },
    responses: {
      200: { description: 'ok', content: { 'application/json': { schema: z.object({ ok: z.boolean() }) } } },
    },
  });
  app.openapi(quote, (c) => {
    const body = c.req.valid('json');
    if (body.drop.lat === 0)
      throw invalidInput('quote.on_equator', 'no deliveries on the equator', { field: 'drop.lat' });
    if (body.drop.lat === 1) throw conflict('quote.taken', 'already quoted', { quote_id: 'q1' });
    if (body.drop.lat === 2) throw new Error('database password is hunter2');
    return c.json({ ok: true }, 200);
  });
  return app;
}

async function post(
  app: ReturnType<typeof appWithTestRoute>,
  body: string,
  query = '',
): Promise<{ status: number; json: ErrorBody }> {
  const res = await app.request(`/test/quotes${query}`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json' },
  });
  return { status: res.status, json: (await res.json()) as ErrorBody };
}

describe('error shape', () => {
  it('answers a schema failure with 400 naming the field path', async () => {
    const { status, json } = await post(appWithTestRoute(), JSON.stringify({ drop: { lat: 123, lon: 7.4 } }));
    expect(status).toBe(400);
    expect(json.error.code).toBe('request.invalid_input');
    expect(json.error.field).toBe('drop.lat');
    expect(json.error.message).toMatch(/^drop\.lat: /);
    expect(json.error.details).toMatchObject({ in: 'json', issues: [{ field: 'drop.lat' }] });
  });

  it('names array elements and missing fields, and lists every issue', async () => {
    const { status, json } = await post(
      appWithTestRoute(),
      JSON.stringify({ drop: { lat: 1.5 }, items: [{ qty: 1 }, { qty: -2 }] }),
    );
    expect(status).toBe(400);
    const fields = (json.error.details!.issues as Array<{ field: string }>).map((i) => i.field).sort();
    expect(fields).toEqual(['drop.lon', 'items[1].qty']);
  });

  it('validates query parameters the same way', async () => {
    const { status, json } = await post(appWithTestRoute(), JSON.stringify({ drop: { lat: 5, lon: 5 } }), '?limit=0');
    expect(status).toBe(400);
    expect(json.error).toMatchObject({ code: 'request.invalid_input', field: 'limit', details: { in: 'query' } });
  });

  it('answers malformed JSON with 400 in the same shape', async () => {
    const { status, json } = await post(appWithTestRoute(), '{"drop":');
    expect(status).toBe(400);
    expect(json.error.code).toBe('request.malformed_body');
  });

  it('maps AppError kinds through httpStatusOf, with the slug as code and details.field lifted', async () => {
    const bad = await post(appWithTestRoute(), JSON.stringify({ drop: { lat: 0, lon: 0 } }));
    expect(bad).toEqual({
      status: 400,
      json: { error: { code: 'quote.on_equator', message: 'no deliveries on the equator', field: 'drop.lat' } },
    });
    const taken = await post(appWithTestRoute(), JSON.stringify({ drop: { lat: 1, lon: 0 } }));
    expect(taken).toEqual({
      status: 409,
      json: { error: { code: 'quote.taken', message: 'already quoted', details: { quote_id: 'q1' } } },
    });
  });

  it('hides unexpected errors behind a 500', async () => {
    const { status, json } = await post(appWithTestRoute(), JSON.stringify({ drop: { lat: 2, lon: 0 } }));
    expect(status).toBe(500);
    expect(json).toEqual({ error: { code: 'server.internal_error', message: 'internal error' } });
  });

  it('answers unknown routes with 404 in the same shape', async () => {
    const res = await appWithTestRoute().request('/no/such/route');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      error: { code: 'route.not_found', message: 'no route for GET /no/such/route' },
    });
  });

  it('passes valid input through to the handler', async () => {
    const res = await appWithTestRoute().request('/test/quotes', {
      method: 'POST',
      body: JSON.stringify({ drop: { lat: 43.7, lon: 7.42 } }),
      headers: { 'content-type': 'application/json' },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
  });
});

describe('GET /health', () => {
  it('names the dispatch parameter set it was given', async () => {
    const dispatchParams = { name: 'tuned-x', source: '/etc/dg/dispatch.json', hash: '0123456789ab' };
    const app = createApiApp({
      logger: silentLogger,
      healthChecks: [up('bus', 'memory')],
      metrics: new Registry(),
      dispatchParams,
    });
    const res = await app.request('/health');
    expect(res.status).toBe(200);
    expect(((await res.json()) as { dispatch_params: unknown }).dispatch_params).toEqual(dispatchParams);
  });

  it('is 200 ok when every check is up', async () => {
    const res = await appWithTestRoute([up('postgres', 'postgres'), up('bus', 'memory')]).request('/health');
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      status: string;
      checks: Record<string, { adapter: string; status: string; latency_ms: number }>;
    };
    expect(body.status).toBe('ok');
    expect(body.checks.postgres).toMatchObject({ adapter: 'postgres', status: 'up' });
    expect(body.checks.bus).toMatchObject({ adapter: 'memory', status: 'up' });
    expect(typeof body.checks.postgres?.latency_ms).toBe('number');
  });

  it('is 503 degraded, saying why, when a check is down', async () => {
    const res = await appWithTestRoute([
      up('postgres', 'postgres'),
      down('router', 'osrm', 'connect ECONNREFUSED'),
    ]).request('/health');
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({
      status: 'degraded',
      checks: {
        postgres: { status: 'up' },
        router: { adapter: 'osrm', status: 'down', error: 'connect ECONNREFUSED' },
      },
    });
  });
});

describe('ops routes', () => {
  it('serves the OpenAPI document, the metrics and a Swagger UI that loads nothing from a CDN', async () => {
    const app = appWithTestRoute([up('postgres', 'postgres')]);
    await app.request('/health');

    const doc = (await (await app.request('/openapi.json')).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.paths).toHaveProperty('/health');

    const metrics = await app.request('/metrics');
    expect(metrics.headers.get('content-type')).toContain('text/plain');
    expect(await metrics.text()).toMatch(
      /http_request_duration_seconds_count\{method="GET",route="\/health",status="200"\} 1/,
    );

    const docs = await app.request('/docs');
    const html = await docs.text();
    expect(docs.status).toBe(200);
    expect(html).not.toMatch(/https?:\/\//);
    const assets = [...html.matchAll(/(?:href|src)="([^"]+)"/g)].map((m) => m[1]!);
    expect(assets).toHaveLength(2);
    for (const asset of assets) {
      const res = await app.request(asset);
      expect(res.status, asset).toBe(200);
      expect((await res.arrayBuffer()).byteLength, asset).toBeGreaterThan(10_000);
    }
    expect((await app.request('/docs/assets/swagger-ui-dist/package.json')).status).toBe(404);
  });
});
