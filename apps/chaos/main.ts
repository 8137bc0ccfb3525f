/**
 * `npm run chaos [-- --short] [--out FILE] [--keep] [--tsx]`: the fault run (issue 13 item 6). Starts the distributed stack on
 * servers of its own (never the machine's shared PostgreSQL, Redis or Kafka), drives a dinner rush, injects five
 * faults in turn, drains, audits Postgres and Kafka, writes the Markdown report (default bench/results/chaos.md, or
 * bench/results/chaos-short.md with --short) and exits 1 unless every rule of the verdict holds.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { PROJECT_ROOT } from '../../internal/platform/project-root.ts';
import { killAllChildren } from './children.ts';
import { FULL_PLAN, removeRunDir, runFaultRun, SHORT_PLAN } from './fault-run.ts';
import { renderReport, verdictOf } from './report.ts';

const USAGE = `usage: npm run chaos -- [--short] [--out FILE] [--keep] [--seed N] [--tsx]
  --short    the CI variant: fewer riders and stores, shorter phases
  --tsx      run the API, worker and simulator from the TypeScript sources (tsx) instead of dist/ (built first when stale)
  --out      where the Markdown report goes (default bench/results/chaos.md, chaos-short.md with --short)
  --keep     keep the run directory (server data, every process' log) even when the run passed
  --seed N   the simulator's random seed (default ${FULL_PLAN.seed})`;

let values;
try {
  ({ values } = parseArgs({
    args: process.argv.slice(2),
    strict: true,
    options: {
      short: { type: 'boolean' },
      out: { type: 'string' },
      keep: { type: 'boolean' },
      seed: { type: 'string' },
      tsx: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  }));
} catch (error) {
  process.stderr.write(`${(error as Error).message}\n${USAGE}\n`);
  process.exit(2);
}
if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const plan = { ...(values.short ? SHORT_PLAN : FULL_PLAN) };
if (values.seed !== undefined) {
  const seed = Number(values.seed);
  if (!Number.isInteger(seed) || seed < 0) {
    process.stderr.write(`--seed: must be a non-negative integer\n${USAGE}\n`);
    process.exit(2);
  }
  plan.seed = seed;
}
if (values.tsx) plan.runtime = 'tsx';
if (plan.runtime === 'dist') {
  // The processes run as `npm run api` etc. run them: compiled (rebuilt first when a source changed since the last
  // build, as npm's pre-scripts do). A restart then measures the service, not tsx compiling it.
  execFileSync(process.execPath, ['scripts/require-build.mjs'], {
    cwd: PROJECT_ROOT,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
}
const out = resolve(values.out ?? join(PROJECT_ROOT, 'bench/results', values.short ? 'chaos-short.md' : 'chaos.md'));

// A hard stop past the budget: whatever hangs, the run ends (children are ours and die with the process group's signal).
const watchdog = setTimeout(
  () => {
    process.stderr.write('[chaos] the run overran its budget, recovery timeout and drain by 4 minutes: exiting\n');
    killAllChildren();
    process.exit(1);
  },
  plan.budgetMs + plan.recoveryTimeoutMs + plan.drainTimeoutMs + 4 * 60_000,
);
watchdog.unref();
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.on(signal, () => {
    process.stderr.write(`[chaos] ${signal}: killing the run's servers and processes\n`);
    killAllChildren();
    process.exit(130);
  });

const result = await runFaultRun(plan, { log: (line) => process.stderr.write(`${line}\n`) });
const verdict = verdictOf(result);
const report = renderReport(result, verdict);
await mkdir(dirname(out), { recursive: true });
await writeFile(out, report);
process.stdout.write(report);
process.stderr.write(`[chaos] report written to ${out}\n`);
if (verdict.passed && !values.keep) await removeRunDir(result.runDir);
else process.stderr.write(`[chaos] logs and data kept in ${result.runDir}\n`);
process.stderr.write(`[chaos] ${verdict.passed ? 'PASSED' : `FAILED:\n  - ${verdict.failures.join('\n  - ')}`}\n`);
process.exit(verdict.passed ? 0 : 1);
