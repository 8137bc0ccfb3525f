import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../internal/config/config.ts';
import { defaultDispatchParamSet } from '../../internal/config/dispatch-params.ts';
import { silentLogger } from '../../internal/platform/logger.ts';
import { composeApi } from './compose.ts';
import { scaledMs } from '../../tests/support/time-scale.ts';

describe('composition without any service URL', () => {
  it(
    'runs on the embedded adapters and says so on /health, with the dispatch parameter set',
    async () => {
      const api = await composeApi(loadConfig({}), silentLogger);
      try {
        const response = await api.app.request('/health');
        expect(response.status).toBe(200);
        const body = (await response.json()) as { checks: Record<string, { adapter: string; status: string }> };
        expect(body.checks.postgres).toMatchObject({ adapter: 'pglite', status: 'up' });
        expect(body.checks.redis).toMatchObject({ adapter: 'memory', status: 'up' });
        expect(body.checks.bus).toMatchObject({ adapter: 'memory', status: 'up' });
        expect(body.checks.router).toMatchObject({ adapter: 'straight-line', status: 'up' });
        expect((body as unknown as { dispatch_params: unknown }).dispatch_params).toEqual({
          name: 'defaults',
          source: 'built-in',
          hash: defaultDispatchParamSet().hash,
        });
      } finally {
        await api.cleanup();
      }
    },
    scaledMs(60_000),
  );
});
