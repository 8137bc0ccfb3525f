import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../internal/config/config.ts';
import { dispatchParamsHash } from '../../internal/config/dispatch-params.ts';
import { resolveDispatchParams } from '../../internal/dispatch/params.ts';
import { silentLogger } from '../../internal/platform/logger.ts';
import { composeWorker } from './worker.ts';

describe('the worker’s dispatch parameter set', () => {
  it('is the configured one with the caller’s overrides on top, named in its metrics', async () => {
    const config = loadConfig({ DISPATCH_PARAMS: '{"batchCapacity":2}' });
    const worker = await composeWorker(config, silentLogger, { dispatch: { waitWindowSeconds: 30 } });
    try {
      const text = await worker.metrics.getSingleMetricAsString('dispatch_params_info');
      const hash = dispatchParamsHash(resolveDispatchParams({ batchCapacity: 2, waitWindowSeconds: 30 }));
      expect(text).toContain(
        `dispatch_params_info{name="defaults+DISPATCH_PARAMS+options",source="built-in + DISPATCH_PARAMS + options",hash="${hash}"} 1`,
      );
    } finally {
      await worker.cleanup();
    }
  }, 120_000); // PGlite start-up and migrations: tens of seconds on a loaded 2-core machine
});
