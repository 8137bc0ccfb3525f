/**
 * `npm run chaos -- --short` as a CI test: the fault run on a stack of its own (its own PostgreSQL cluster, Redis and
 * Kafka on free loopback ports — never the shared test servers), five faults, the drain, and the verdict. Slow (about
 * five minutes on two cores): it starts Kafka twice.
 */
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../internal/platform/project-root.ts';
import { removeRunDir, runFaultRun, SHORT_PLAN } from './fault-run.ts';
import { renderReport, verdictOf } from './report.ts';

/**
 * `npm test` builds dist/ right before the tests, so the processes run compiled, as `npm run chaos` runs them; with a
 * stale dist/ (a local run after an edit) they run from the sources. The check never rebuilds: other tests run dist/.
 */
function builtForThisRun(): boolean {
  return (
    spawnSync(process.execPath, ['scripts/require-build.mjs'], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, DELIVERYGO_BUILD_CHECK_ONLY: '1' },
      stdio: 'ignore',
    }).status === 0
  );
}

describe('the fault run (short)', () => {
  it(
    'loses no accepted order, batches none twice, and recovers from every fault without a manual step',
    async () => {
      const result = await runFaultRun(
        { ...SHORT_PLAN, runtime: builtForThisRun() ? 'dist' : 'tsx' },
        { log: (line) => process.stderr.write(`${line}\n`) },
      );
      const verdict = verdictOf(result);
      const report = join(tmpdir(), `chaos-short-${Date.now()}.md`);
      await writeFile(report, renderReport(result, verdict));
      if (verdict.passed) await removeRunDir(result.runDir);
      else process.stderr.write(`[chaos] report ${report}; logs and data kept in ${result.runDir}\n`);
      expect(verdict.failures).toEqual([]);
      expect(result.faults.map((f) => f.name)).toEqual([
        'worker-kill',
        'kafka-kill',
        'redis-empty',
        'postgres-restart',
        'api-sigterm',
      ]);
      expect(result.audit?.delivered).toBeGreaterThan(0);
    },
    // Not scaled by TEST_TIME_SCALE: the run bounds itself (SHORT_PLAN.budgetMs); this only catches a hang.
    SHORT_PLAN.budgetMs + SHORT_PLAN.recoveryTimeoutMs + SHORT_PLAN.drainTimeoutMs + 5 * 60_000,
  );
});
