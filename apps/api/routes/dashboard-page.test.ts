import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../internal/platform/logger.ts';
import { createApiApp } from '../app.ts';
import { DASHBOARD_ASSETS } from './dashboard-page.ts';

const app = () => createApiApp({ logger: silentLogger, healthChecks: [], metrics: new Registry() });

describe('GET /dashboard and its assets', () => {
  it('serves the page with every script and stylesheet from this server, Chart.js included', async () => {
    const res = await app().request('/dashboard');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const html = await res.text();
    // Nothing from a CDN: every reference is a dashboard asset, the site icon, or the map page it links to.
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(refs).toContain('/dashboard/assets/chart.js/chart.umd.min.js');
    expect(refs).toContain('/map');
    for (const ref of refs)
      expect(ref.startsWith('/dashboard/assets/') || ref === '/favicon.ico' || ref === '/map', ref).toBe(true);
    for (const ref of refs) expect((await app().request(ref)).status, ref).toBe(200);
    // The map links back.
    expect(await (await app().request('/map')).text()).toContain('href="/dashboard"');
  });

  it('serves Chart.js and the shared key module as JavaScript, and nothing outside the allow-list', async () => {
    const chart = await app().request('/dashboard/assets/chart.js/chart.umd.min.js');
    expect(chart.headers.get('content-type')).toContain('text/javascript');
    expect(await chart.text()).toContain('Chart.js v4.6.1');
    for (const page of ['/dashboard/assets/operator-key.js', '/map/assets/operator-key.js'])
      expect(await (await app().request(page)).text()).toContain('export async function authedFetch');
    expect(Object.keys(DASHBOARD_ASSETS)).toContain('dashboard.js');
    for (const path of [
      '/dashboard/assets/../../package.json',
      '/dashboard/assets/chart.js/chart.cjs',
      '/dashboard/assets/',
    ])
      expect((await app().request(path)).status, path).toBe(404);
  });
});
