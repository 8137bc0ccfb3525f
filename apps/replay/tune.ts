/**
 * Tuning CLI: `npm run tune -- <mdrplib folder> [--every N] [--offset K]`. Replays every N-th instance (a subset, so the
 * result can be checked on the rest), runs one pass of coordinate descent over the search space from the current
 * defaults, and prints the trial table and the chosen parameters (markdown, for docs/dispatch-quality.md).
 */
import { resolve } from 'node:path';
import { loadInstance, type MdrpInstance } from '../../internal/replay/instance.ts';
import { evaluateInstance, listInstanceDirs, summarize } from '../../internal/replay/suite.ts';
import { coordinateDescent, SEARCH_SPACE, trialsTable } from '../../internal/replay/tune.ts';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const n = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(n) || n < 0) {
    process.stderr.write(`${name} must be a non-negative integer\n`);
    process.exit(2);
  }
  return n;
}

async function main(): Promise<void> {
  const folder = process.argv.slice(2).find((a, i, all) => !a.startsWith('--') && !['--every', '--offset'].includes(all[i - 1] ?? ''));
  if (!folder) {
    process.stderr.write('usage: npm run tune -- <mdrplib folder> [--every N] [--offset K]\n');
    process.exit(2);
  }
  const every = Math.max(1, option('--every', 5));
  const offset = option('--offset', 0);
  const dirs = (await listInstanceDirs(resolve(folder))).filter((_, i) => i % every === offset % every);
  const instances: MdrpInstance[] = await Promise.all(dirs.map((d) => loadInstance(d)));
  process.stderr.write(`tuning on ${instances.length} instances (every ${every}th, offset ${offset})\n`);
  const started = performance.now();
  const { best, trials } = await coordinateDescent(
    {},
    SEARCH_SPACE,
    async (params) => summarize(instances.map((inst) => evaluateInstance(inst, params))),
    (t) =>
      process.stderr.write(
        `${t.dimension}=${String(t.value)} objective ${t.objective.toFixed(3)} c2d ${t.summary.mean.clickToDoorMean.toFixed(2)} ` +
          `undeliv ${t.summary.mean.undeliveredPct.toFixed(2)}% regret ${t.summary.meanRegret.toFixed(3)}\n`,
      ),
  );
  process.stdout.write(`${trialsTable(trials)}\n\nchosen overrides of the defaults (${trials.length} trials, ${((performance.now() - started) / 1000).toFixed(0)} s):\n`);
  process.stdout.write(`${JSON.stringify(best, null, 2)}\n`);
}

await main();
