import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../internal/config/config.ts';
import { silentLogger } from '../../internal/platform/logger.ts';
import { composeWorker } from '../worker/worker.ts';
import { composeApi } from './compose.ts';

describe('composition without a database URL', () => {
  it('refuses clearly until the embedded database exists', async () => {
    const config = loadConfig({});
    for (const compose of [composeApi, composeWorker]) {
      const error = await compose(config, silentLogger).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(/DATABASE_URL.*embedded/);
    }
  });
});
