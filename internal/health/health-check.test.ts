import { describe, expect, it } from 'vitest';
import { inProcessHealthCheck, runHealthChecks } from './health-check.ts';

describe('runHealthChecks', () => {
  it('reports each check with its adapter and latency, ok when all are up', async () => {
    const report = await runHealthChecks([
      inProcessHealthCheck('bus', 'memory'),
      inProcessHealthCheck('router', 'straight-line'),
    ]);
    expect(report.status).toBe('ok');
    expect(report.checks.bus).toMatchObject({ adapter: 'memory', status: 'up' });
    expect(report.checks.router?.latency_ms).toBeGreaterThanOrEqual(0);
  });

  it('marks a hung check down after the timeout instead of hanging', async () => {
    const started = Date.now();
    const report = await runHealthChecks(
      [
        { name: 'redis', adapter: 'redis', check: () => new Promise<void>(() => {}) },
        inProcessHealthCheck('bus', 'memory'),
      ],
      100,
    );
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(report.status).toBe('degraded');
    expect(report.checks.redis).toMatchObject({ status: 'down', error: 'no answer within 100 ms' });
    expect(report.checks.bus?.status).toBe('up');
  });

  it("includes an error's cause in the reason", async () => {
    const report = await runHealthChecks([
      {
        name: 'router',
        adapter: 'osrm',
        check: async () => {
          throw new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:5000') });
        },
      },
    ]);
    expect(report.checks.router?.error).toBe('fetch failed: connect ECONNREFUSED 127.0.0.1:5000');
  });
});
