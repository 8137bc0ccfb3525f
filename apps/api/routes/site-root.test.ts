import { readFile } from 'node:fs/promises';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../internal/platform/logger.ts';
import { createApiApp } from '../app.ts';

const app = () => createApiApp({ logger: silentLogger, healthChecks: [], metrics: new Registry() });

describe('GET / and /favicon.ico', () => {
  it('sends a visitor of / to the live map', async () => {
    const res = await app().request('/');
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/map');
    expect((await app().request(res.headers.get('location')!)).status).toBe(200);
  });

  it('serves the icon from web/ as SVG, so no page load logs a 404', async () => {
    const res = await app().request('/favicon.ico');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/svg+xml');
    const body = await res.text();
    expect(body).toBe(await readFile(new URL('../../../web/favicon.svg', import.meta.url), 'utf8'));
    expect(body).toMatch(/^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  });
});
