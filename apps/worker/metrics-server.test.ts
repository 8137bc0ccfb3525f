import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { startMetricsServer } from './metrics-server.ts';

describe('worker metrics server', () => {
  it('serves the registry at GET /metrics and 404 elsewhere', async () => {
    const registry = new Registry();
    new Counter({ name: 'demo_total', help: 'demo', registers: [registry] }).inc(3);
    const server = await startMetricsServer(registry, '127.0.0.1', 0);
    try {
      const ok = await fetch(`http://127.0.0.1:${server.port}/metrics`);
      expect(ok.status).toBe(200);
      expect(await ok.text()).toContain('demo_total 3');
      expect((await fetch(`http://127.0.0.1:${server.port}/other`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});
