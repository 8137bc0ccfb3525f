import { defineConfig } from 'vitest/config';
import { scaledMs } from './tests/support/time-scale.ts';

/**
 * Two projects:
 *  - unit: pure code and the embedded adapters, no servers.
 *  - integration: talks to the real PostgreSQL, Redis and Kafka that `npm run infra:up` provides.
 *    Its global setup fails loudly (never skips) when one of them does not answer.
 * Every wall-clock budget (test and hook timeouts, `expect.poll`) is scaled by TEST_TIME_SCALE (3 when CI=true; see
 * tests/support/time-scale.ts): tests wait on conditions, and the budget only bounds how long a failure takes to show.
 */
export default defineConfig({
  test: {
    reporters: ['default'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['internal/**/*.test.ts', 'apps/**/*.test.ts', 'tests/unit/**/*.test.ts'],
          exclude: ['**/*.int.test.ts', '**/node_modules/**'],
          testTimeout: scaledMs(20_000),
          hookTimeout: scaledMs(10_000),
          expect: { poll: { timeout: scaledMs(5_000) } },
        },
      },
      {
        test: {
          name: 'integration',
          include: ['internal/**/*.int.test.ts', 'apps/**/*.int.test.ts', 'tests/integration/**/*.int.test.ts'],
          globalSetup: ['tests/support/integration-global-setup.ts'],
          testTimeout: scaledMs(60_000),
          hookTimeout: scaledMs(120_000),
          expect: { poll: { timeout: scaledMs(5_000) } },
          // Integration suites share one broker and one Postgres server on a 2-core machine.
          fileParallelism: true,
          maxWorkers: 2,
          // vitest 4 needs projects with different worker limits to run in separate groups: unit first, then integration.
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
