/**
 * Replay CLI (composition root): `npm run replay -- <instance dir>` or `npm run replay -- --all <folder>`.
 * Options: `--out <dir>` (default out/replay), `--params <json file>` (a dispatch parameter file as `npm run tune --
 * --write` saves it; default: the configured set, DISPATCH_PARAMS_FILE / DISPATCH_PARAMS, as the worker loads it), `--no-files`,
 * `--diagnose` (also print where ready-to-pickup comes from: positional / partner / competition, diagnostics.ts),
 * `--official` (also run Grubhub's evaluator, ../shared/mdrplib/official/compute_performance_summary.py or `--evaluator
 * <script>`, on every instance's solution files and compare its figures with ours; official-evaluator.ts).
 * Prints a progress bar, then the results table; exits 1 when any solution violates a feasibility rule, or, with
 * `--official`, when the evaluator finds one infeasible or prints a figure that differs from ours.
 */
import { join, resolve } from 'node:path';
import { ConfigError, loadConfig } from '../../internal/config/config.ts';
import { formatSplitTable, splitReadyToPickup } from '../../internal/replay/diagnostics.ts';
import { countByRule, RULES } from '../../internal/replay/feasibility.ts';
import { judgeOfficially, limitConcurrency, type OfficialOutcome } from '../../internal/replay/official-evaluator.ts';
import { formatTable, officialProblems, officialSummaryLine, progressBar } from '../../internal/replay/report.ts';
import { writeSolutionFiles } from '../../internal/replay/solution.ts';
import { listInstanceDirs, runSuite, summarize } from '../../internal/replay/suite.ts';

interface Args {
  readonly dirs: string[];
  readonly all: boolean;
  readonly out: string;
  readonly paramsFile?: string;
  readonly writeFiles: boolean;
  readonly diagnose: boolean;
  readonly official: boolean;
  readonly evaluator?: string;
}

function usage(message: string): never {
  process.stderr.write(
    `${message}\nusage: npm run replay -- <instance dir> | --all <folder> [--out dir] [--params file.json] [--no-files] [--diagnose] [--official [--evaluator script.py]]\n`,
  );
  process.exit(2);
}

function parseArgs(argv: readonly string[]): Args {
  const dirs: string[] = [];
  let all = false;
  let out = 'out/replay';
  let paramsFile: string | undefined;
  let writeFiles = true;
  let diagnose = false;
  let official = false;
  let evaluator: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--all') all = true;
    else if (a === '--out') out = argv[++i] ?? usage('--out needs a folder');
    else if (a === '--params') paramsFile = argv[++i] ?? usage('--params needs a file');
    else if (a === '--no-files') writeFiles = false;
    else if (a === '--diagnose') diagnose = true;
    else if (a === '--official') official = true;
    else if (a === '--evaluator') evaluator = argv[++i] ?? usage('--evaluator needs the script');
    else if (a.startsWith('--')) usage(`unknown option ${a}`);
    else dirs.push(a);
  }
  if (dirs.length === 0) usage('no instance folder given');
  if (official && !writeFiles) usage('--official reads the written solution files: drop --no-files');
  return {
    dirs,
    all,
    out,
    writeFiles,
    diagnose,
    official,
    ...(paramsFile ? { paramsFile } : {}),
    ...(evaluator ? { evaluator } : {}),
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  // The same parameter set the worker would run: the configuration's, or the file given with --params.
  let dispatch;
  try {
    dispatch = loadConfig(
      args.paramsFile ? { ...process.env, DISPATCH_PARAMS_FILE: args.paramsFile } : process.env,
    ).dispatch;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    usage(error.message);
  }
  const params = dispatch.params;
  process.stderr.write(`dispatch parameters: ${dispatch.name} (hash ${dispatch.hash}, from ${dispatch.source})\n`);
  const dirs = args.all
    ? (await Promise.all(args.dirs.map((d) => listInstanceDirs(resolve(d))))).flat()
    : args.dirs.map((d) => resolve(d));
  if (dirs.length === 0) usage(`no MDRPLIB instance folders under ${args.dirs.join(', ')}`);
  const tty = process.stderr.isTTY;
  const started = performance.now();
  const splits: Array<{ instance: string; split: ReturnType<typeof splitReadyToPickup> }> = [];
  // The evaluator runs in python child processes while the next instances replay.
  const limit = limitConcurrency(2);
  const judged: Array<Promise<OfficialOutcome>> = [];
  const outcomes = await runSuite(dirs, params, async (o, i, instance) => {
    if (args.diagnose) splits.push({ instance: o.instance, split: splitReadyToPickup(instance, o.result.solution) });
    if (args.writeFiles) await writeSolutionFiles(join(args.out, o.instance), o.result.solution);
    if (args.official) {
      const solutionDir = join(args.out, o.instance);
      const options = args.evaluator ? { script: args.evaluator } : {};
      judged.push(limit(() => judgeOfficially(o.instance, dirs[i]!, solutionDir, o.metrics, options)));
    }
    const line = progressBar(i + 1, dirs.length, `${o.instance} (${Math.round(o.elapsedMs)} ms)`);
    process.stderr.write(tty ? `\r${line}\x1b[K` : `${line}\n`);
  });
  if (tty) process.stderr.write('\n');
  const summary = summarize(outcomes);
  process.stdout.write(`${formatTable(outcomes, summary.mean, summary)}\n\n`);
  if (args.diagnose)
    process.stdout.write(`ready-to-pickup split (minutes per delivered order):\n${formatSplitTable(splits)}\n\n`);
  const undelivered = outcomes.reduce((a, o) => a + o.metrics.orders - o.metrics.delivered, 0);
  const structural = outcomes.reduce((a, o) => a + (o.structurallyUndeliverable ?? 0), 0);
  const lost = outcomes.reduce((a, o) => a + (o.lostToScheduling ?? 0), 0);
  const lostPct =
    outcomes.reduce(
      (a, o) => a + (100 * (o.lostToScheduling ?? 0)) / (o.metrics.orders - (o.structurallyUndeliverable ?? 0)),
      0,
    ) / outcomes.length;
  process.stdout.write(
    `deliverability: ${undelivered} undelivered = ${structural} no courier could ever pick up before its off_time ` +
      `+ ${lost} lost to scheduling (mean ${lostPct.toFixed(3)} % of deliverable orders)\n`,
  );
  const counts = countByRule(outcomes.flatMap((o) => o.violationList));
  process.stdout.write(
    `feasibility: ${summary.violations} violation(s) — ` +
      Object.entries(counts)
        .map(([rule, n]) => `${rule} ${RULES[rule as keyof typeof RULES]}: ${n}`)
        .join('; ') +
      '\n',
  );
  for (const o of outcomes.filter((x) => x.violations > 0).slice(0, 5)) {
    for (const v of o.violationList.slice(0, 3)) process.stdout.write(`  ${o.instance} ${v.rule}: ${v.message}\n`);
  }
  process.stdout.write(
    `${outcomes.length} instance(s) replayed in ${((performance.now() - started) / 1000).toFixed(1)} s` +
      (args.writeFiles ? `; solution files in ${args.out}/<instance>/` : '') +
      '\n',
  );
  if (summary.violations > 0) process.exitCode = 1;
  if (args.official) {
    const official = await Promise.all(judged);
    const problems = officialProblems(official);
    process.stdout.write(
      `${officialSummaryLine(official)}\n${problems
        .slice(0, 20)
        .map((p) => `  ${p}\n`)
        .join('')}`,
    );
    if (problems.length > 0) process.exitCode = 1;
  }
}

await main();
