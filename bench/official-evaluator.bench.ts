/**
 * Grubhub's evaluator on every instance: replays all MDRPLIB instances under the folder (default ../shared/mdrplib, 120)
 * with the dispatcher defaults, writes each solution's three files, runs the unmodified
 * official/compute_performance_summary.py on them (Debian's python3 + python3-pandas: `bash scripts/ensure-python3-pandas.sh`)
 * and compares its figures with ours. Writes the "official" section of bench/results/replay.md; exits 1 unless every
 * instance is FEASIBLE with figures equal to ours.
 * Run: `npx tsx bench/official-evaluator.bench.ts [mdrplib folder]`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { mean } from '../internal/replay/metrics.ts';
import {
  defaultEvaluatorScript,
  judgeOfficially,
  limitConcurrency,
  type OfficialOutcome,
} from '../internal/replay/official-evaluator.ts';
import { officialMarkdownTable, officialProblems, officialSummaryLine } from '../internal/replay/report.ts';
import { writeSolutionFiles } from '../internal/replay/solution.ts';
import { listInstanceDirs, runSuite } from '../internal/replay/suite.ts';
import { writeResultSection } from './telemetry-results.ts';

const root = resolve(process.argv[2] ?? '../shared/mdrplib');
const dirs = await listInstanceDirs(root);
const work = await mkdtemp(join(tmpdir(), 'official-bench-'));
const started = performance.now();
const limit = limitConcurrency(2);
const judged: Array<Promise<OfficialOutcome>> = [];
let violations = 0;
try {
  await runSuite(dirs, {}, async (o, i) => {
    violations += o.violations;
    const dir = join(work, o.instance);
    await writeSolutionFiles(dir, o.result.solution);
    judged.push(limit(() => judgeOfficially(o.instance, dirs[i]!, dir, o.metrics)));
    process.stderr.write(`${i + 1}/${dirs.length} ${o.instance}\n`);
  });
} finally {
  await Promise.allSettled(judged);
  await rm(work, { recursive: true, force: true });
}
const outcomes = await Promise.all(judged);
const seconds = (performance.now() - started) / 1000;
const problems = officialProblems(outcomes);
const c2d = (rows: readonly OfficialOutcome[]) =>
  mean(rows.map((r) => r.verdict.figures?.clickToDoorMean ?? NaN)).toFixed(2);
const base = outcomes.filter((r) => /^[0-4]o100t100s1p100$/.test(r.instance));
const body = [
  '## Official evaluator on every instance',
  '',
  `Written by \`npx tsx bench/official-evaluator.bench.ts\` (${new Date().toISOString().slice(0, 10)}): ${dirs.length} instances of ` +
    `${basename(root)} replayed with the dispatcher defaults, each solution's three files judged by Grubhub's ` +
    `\`${join(basename(root), 'official', basename(defaultEvaluatorScript(dirs[0] ?? root)))}\`, unmodified (Debian python3 + python3-pandas), ` +
    `in ${seconds.toFixed(0)} s.`,
  '',
  `**${officialSummaryLine(outcomes)}.** Our own checker (feasibility.ts, eight rules) found ${violations} violation(s).`,
  `"Figures equal ours": delivered and order counts equal; click-to-door mean and p90, overage, ready-to-pickup mean and p90, ` +
    'courier utilisation mean and p10, total payment and orders per bundle equal at the 2 decimals the evaluator prints.',
  `Mean official click-to-door: ${c2d(outcomes)} min over all ${outcomes.length}; ${c2d(base)} min over seeds 0–4 of o100t100s1p100.`,
  ...(problems.length > 0 ? ['', 'Problems:', '', ...problems.map((p) => `- ${p}`)] : []),
  '',
  officialMarkdownTable(outcomes),
].join('\n');
await writeResultSection('official', body, 'replay.md', '# Replay benchmarks');
process.stdout.write(
  `${officialSummaryLine(outcomes)} (${seconds.toFixed(0)} s)\n${problems.map((p) => `  ${p}\n`).join('')}`,
);
if (problems.length > 0 || outcomes.length === 0) process.exitCode = 1;
