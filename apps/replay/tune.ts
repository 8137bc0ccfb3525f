/**
 * Tuning CLI: `npm run tune -- <mdrplib folder> [--every N] [--offset K] [--space a,b,…] [--write file.json] [--name NAME]`.
 * Replays every N-th instance (a subset, so the result can be checked on the rest), runs one pass of coordinate descent
 * over the search space (or the named dimensions of it) from the configured parameter set (the defaults unless
 * DISPATCH_PARAMS_FILE / DISPATCH_PARAMS say otherwise), and prints the trial table and the chosen parameters (markdown,
 * for docs/dispatch-quality-appendix.md). `--write` saves the chosen set as a parameter file the worker and the replay load with
 * `DISPATCH_PARAMS_FILE=<file>` (internal/config/dispatch-params.ts); `--name` names it (default `tuned-<date>`).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ConfigError, loadConfig } from '../../internal/config/config.ts';
import { dispatchParamsHash, formatDispatchParamsFile } from '../../internal/config/dispatch-params.ts';
import { resolveDispatchParams } from '../../internal/dispatch/params.ts';
import { loadInstance, type MdrpInstance } from '../../internal/replay/instance.ts';
import { evaluateInstance, listInstanceDirs, summarize } from '../../internal/replay/suite.ts';
import { coordinateDescent, SEARCH_SPACE, trialsTable } from '../../internal/replay/tune.ts';

const VALUE_OPTIONS = ['--every', '--offset', '--space', '--write', '--name'];

function fail(message: string): never {
  process.stderr.write(
    `${message}\nusage: npm run tune -- <mdrplib folder> [--every N] [--offset K] [--space a,b,…] [--write file.json] [--name NAME]\n`,
  );
  process.exit(2);
}

function value(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  if (i < 0) return undefined;
  return process.argv[i + 1] ?? fail(`${name} needs a value`);
}

function integer(name: string, fallback: number): number {
  const raw = value(name);
  const n = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(n) || n < 0) fail(`${name} must be a non-negative integer`);
  return n;
}

async function main(): Promise<void> {
  const folder = process.argv
    .slice(2)
    .find((a, i, all) => !a.startsWith('--') && !VALUE_OPTIONS.includes(all[i - 1] ?? ''));
  if (!folder) fail('no MDRPLIB folder given');
  const every = Math.max(1, integer('--every', 5));
  const offset = integer('--offset', 0);
  const names = value('--space')
    ?.split(',')
    .map((s) => s.trim());
  const unknown = names?.filter((n) => !SEARCH_SPACE.some((d) => d.name === n)) ?? [];
  if (unknown.length > 0)
    fail(`--space: unknown dimension(s) ${unknown.join(', ')}; known: ${SEARCH_SPACE.map((d) => d.name).join(', ')}`);
  const space = names ? SEARCH_SPACE.filter((d) => names.includes(d.name)) : SEARCH_SPACE;
  const out = value('--write');
  const name = value('--name') ?? `tuned-${new Date().toISOString().slice(0, 10)}`;

  let start;
  try {
    start = loadConfig().dispatch;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    fail(error.message);
  }
  const dirs = (await listInstanceDirs(resolve(folder))).filter((_, i) => i % every === offset % every);
  const instances: MdrpInstance[] = await Promise.all(dirs.map((d) => loadInstance(d)));
  process.stderr.write(
    `tuning on ${instances.length} instances (every ${every}th, offset ${offset}) from ${start.name} (hash ${start.hash})\n`,
  );
  const started = performance.now();
  const { best, trials } = await coordinateDescent(
    start.params,
    space,
    async (params) => summarize(instances.map((inst) => evaluateInstance(inst, params))),
    (t) =>
      process.stderr.write(
        `${t.dimension}=${String(t.value)} objective ${t.objective.toFixed(3)} c2d ${t.summary.mean.clickToDoorMean.toFixed(2)} ` +
          `undeliv ${t.summary.mean.undeliveredPct.toFixed(2)}% regret ${t.summary.meanRegret.toFixed(3)}\n`,
      ),
  );
  const chosen = resolveDispatchParams(best);
  process.stdout.write(
    `${trialsTable(trials)}\n\nchosen parameters (${trials.length} trials, ${((performance.now() - started) / 1000).toFixed(0)} s):\n`,
  );
  process.stdout.write(`${JSON.stringify(chosen, null, 2)}\n`);
  if (out) {
    await mkdir(dirname(resolve(out)), { recursive: true });
    await writeFile(out, formatDispatchParamsFile(name, chosen));
    process.stdout.write(
      `wrote ${out}: ${name} (hash ${dispatchParamsHash(chosen)}); load it with DISPATCH_PARAMS_FILE=${out}\n`,
    );
  }
}

await main();
