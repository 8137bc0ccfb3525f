import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../internal/platform/logger.ts';
import { createApiApp } from './app.ts';

/** The app as the OpenAPI generator builds it: every route registered, no services behind them. */
const bare = () => createApiApp({ logger: silentLogger, healthChecks: [], metrics: new Registry() });

describe('domain routes without services', () => {
  it('still validate input first (400 naming the field), then answer 503 instead of pretending', async () => {
    const app = bare();
    const invalid = await app.request('/orders', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ drop: { lat: 1, lon: 2 } }),
    });
    expect(invalid.status).toBe(400);
    const valid = await app.request('/stores', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'S', lat: 1, lon: 2 }),
    });
    expect(valid.status).toBe(503);
    expect(await valid.json()).toMatchObject({ error: { code: 'api.services_missing' } });
  });

  it('are all in the OpenAPI document', () => {
    const paths = Object.keys(
      bare().getOpenAPI31Document({ openapi: '3.1.0', info: { title: 't', version: '0' } }).paths ?? {},
    );
    expect(paths).toEqual(
      expect.arrayContaining([
        '/stores',
        '/stores/{id}',
        '/riders',
        '/riders/{id}',
        '/riders/{id}/status',
        '/orders',
        '/orders/{id}',
        '/orders/{id}/cooking',
        '/orders/{id}/ready',
        '/orders/{id}/cancel',
        '/batches/{id}',
        '/batches/{id}/pickup',
        '/batches/{id}/confirm-delivery',
        '/stats/regret',
      ]),
    );
  });
});
