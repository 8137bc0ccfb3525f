/**
 * Runs Grubhub's own MDRPLIB evaluator (compute_performance_summary.py, unmodified, from ../shared/mdrplib/official) on a
 * solution folder, reads its verdict and its printed figures, and compares them with ours (metrics.ts). The evaluator is
 * the judge of our solution files' format and feasibility: our feasibility.ts is stricter, but only this script counts.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import type { Metrics } from './metrics.ts';
import { type Solution, writeSolutionFiles } from './solution.ts';

const run = promisify(execFile);

/**
 * Debian's interpreter: python3-pandas installs pandas for /usr/bin/python3 only, and a pyenv or venv `python3` earlier on
 * PATH would not see it (scripts/ensure-python3-pandas.sh installs the package).
 */
export const DEBIAN_PYTHON = '/usr/bin/python3';

/** The evaluator's place beside the instances: `<mdrplib>/official/compute_performance_summary.py`. */
export function defaultEvaluatorScript(instanceDir: string): string {
  return join(dirname(resolve(instanceDir)), 'official', 'compute_performance_summary.py');
}

/** The figures the evaluator prints in solution_performance.txt (rounded to 2 decimals there). */
export type OfficialFigures = Pick<
  Metrics,
  | 'delivered'
  | 'orders'
  | 'clickToDoorMean'
  | 'clickToDoorP90'
  | 'overageMean'
  | 'readyToPickupMean'
  | 'readyToPickupP90'
  | 'utilisationMean'
  | 'utilisationP10'
  | 'ordersPerBundle'
> & { readonly totalPayment: number };

export interface OfficialVerdict {
  readonly feasible: boolean;
  /** feasibility_check.txt as written. */
  readonly feasibilityCheck: string;
  /** Parsed solution_performance.txt; the evaluator writes it only for a feasible solution. */
  readonly figures: OfficialFigures | undefined;
}

export interface EvaluatorOptions {
  /** Defaults to defaultEvaluatorScript(instanceDir). */
  readonly script?: string;
  /** Defaults to DEBIAN_PYTHON. */
  readonly python?: string;
}

/** Runs the evaluator on an instance folder and a folder holding the three solution files. */
export async function runOfficialEvaluator(
  instanceDir: string,
  solutionDir: string,
  options: EvaluatorOptions = {},
): Promise<OfficialVerdict> {
  const script = options.script ?? defaultEvaluatorScript(instanceDir);
  const out = await mkdtemp(join(tmpdir(), 'mdrp-official-'));
  try {
    // The script reads `name=value` arguments (split on '='): absolute paths without '=' keep that unambiguous.
    const args = [
      script,
      `instance_dir=${resolve(instanceDir)}`,
      `input_dir=${resolve(solutionDir)}`,
      `output_dir=${out}`,
    ];
    for (const a of args.slice(1))
      if (a.split('=').length !== 2) throw new Error(`official evaluator: path must not contain '=': ${a}`);
    try {
      await run(options.python ?? DEBIAN_PYTHON, args, { maxBuffer: 64 * 1024 * 1024 });
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(
        `official evaluator failed on ${solutionDir}: ${(e.stderr ?? '').trim().split('\n').slice(-3).join(' | ') || e.message}`,
      );
    }
    const feasibilityCheck = await readFile(join(out, 'feasibility_check.txt'), 'utf8');
    const feasible = feasibilityCheck.trim().split('\n').at(-1)?.trim() === 'FEASIBLE';
    const figures = feasible
      ? parsePerformance(await readFile(join(out, 'solution_performance.txt'), 'utf8'))
      : undefined;
    return { feasible, feasibilityCheck, figures };
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

/** Writes `solution` to a temporary folder and runs the evaluator on it. */
export async function evaluateSolutionOfficially(
  instanceDir: string,
  solution: Solution,
  options: EvaluatorOptions = {},
): Promise<OfficialVerdict> {
  const dir = await mkdtemp(join(tmpdir(), 'mdrp-solution-'));
  try {
    await writeSolutionFiles(dir, solution);
    return await runOfficialEvaluator(instanceDir, dir, options);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The `describe()` tables of solution_performance.txt: a header line of column names (some contain spaces, so columns
 * are taken by position in the order the script prints them), then `count mean std min 10% 50% 90% max` rows.
 */
function describeTable(text: string, firstColumn: string, columns: number): Map<string, number[]> {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.trim().startsWith(firstColumn));
  if (start < 0) throw new Error(`official evaluator output: no table starting with ${firstColumn}`);
  const rows = new Map<string, number[]>();
  for (const l of lines.slice(start + 1)) {
    const cells = l.trim().split(/\s+/);
    if (cells.length !== columns + 1) break;
    rows.set(cells[0]!, cells.slice(1).map(Number));
  }
  return rows;
}

function cell(table: Map<string, number[]>, row: string, column: number, what: string): number {
  const v = table.get(row)?.[column];
  if (v === undefined || Number.isNaN(v)) throw new Error(`official evaluator output: no ${row} of ${what}`);
  return v;
}

/** Parses solution_performance.txt (the script's exact layout, pandas describe() tables). */
export function parsePerformance(text: string): OfficialFigures {
  const delivered = /number of orders delivered: (\d+) out of (\d+)/.exec(text);
  const payment = /total payment: ([\d.]+)/.exec(text);
  if (!delivered || !payment) throw new Error('official evaluator output: no delivered count or total payment');
  // Columns as the script prints them: click-to-door, ready-to-door, ready-to-pickup, click-to-door overage.
  const orders = describeTable(text, 'click-to-door', 4);
  // orders_per_hour, bundles_per_hour, utilization, guaranteed_earnings, order_earnings, payment.
  const couriers = describeTable(text, 'orders_per_hour', 6);
  const bundles = describeTable(text, 'orders_per_bundle', 1);
  return {
    delivered: Number(delivered[1]),
    orders: Number(delivered[2]),
    totalPayment: Number(payment[1]),
    clickToDoorMean: cell(orders, 'mean', 0, 'click-to-door'),
    clickToDoorP90: cell(orders, '90%', 0, 'click-to-door'),
    readyToPickupMean: cell(orders, 'mean', 2, 'ready-to-pickup'),
    readyToPickupP90: cell(orders, '90%', 2, 'ready-to-pickup'),
    overageMean: cell(orders, 'mean', 3, 'click-to-door overage'),
    utilisationMean: cell(couriers, 'mean', 2, 'utilization'),
    utilisationP10: cell(couriers, '10%', 2, 'utilization'),
    ordersPerBundle: cell(bundles, 'mean', 0, 'orders_per_bundle'),
  };
}

export interface FigureMismatch {
  readonly figure: keyof OfficialFigures;
  readonly ours: number;
  readonly official: number;
}

/**
 * Our metrics against the evaluator's figures. Counts must be equal; the rest must agree at the 2 decimals the evaluator
 * prints (|ours − official| ≤ 0.005, plus a hair for binary rounding). Total payment is ours cost per order × delivered.
 */
export function compareFigures(ours: Metrics, theirs: OfficialFigures): FigureMismatch[] {
  const pairs: Array<[keyof OfficialFigures, number, boolean]> = [
    ['delivered', ours.delivered, true],
    ['orders', ours.orders, true],
    ['totalPayment', ours.delivered === 0 ? 0 : ours.costPerOrder * ours.delivered, false],
    ['clickToDoorMean', ours.clickToDoorMean, false],
    ['clickToDoorP90', ours.clickToDoorP90, false],
    ['overageMean', ours.overageMean, false],
    ['readyToPickupMean', ours.readyToPickupMean, false],
    ['readyToPickupP90', ours.readyToPickupP90, false],
    ['utilisationMean', ours.utilisationMean, false],
    ['utilisationP10', ours.utilisationP10, false],
    ['ordersPerBundle', ours.ordersPerBundle, false],
  ];
  const out: FigureMismatch[] = [];
  for (const [figure, value, exact] of pairs) {
    const official = theirs[figure];
    const equal = exact ? value === official : Math.abs(value - official) <= 0.005 + 1e-9;
    if (!equal) out.push({ figure, ours: value, official });
  }
  return out;
}

/** One instance judged by the evaluator: its verdict and where its figures differ from ours. */
export interface OfficialOutcome {
  readonly instance: string;
  readonly verdict: OfficialVerdict;
  readonly mismatches: readonly FigureMismatch[];
}

/** Runs the evaluator on a written solution folder and compares its figures with `ours`. */
export async function judgeOfficially(
  instance: string,
  instanceDir: string,
  solutionDir: string,
  ours: Metrics,
  options: EvaluatorOptions = {},
): Promise<OfficialOutcome> {
  const verdict = await runOfficialEvaluator(instanceDir, solutionDir, options);
  return { instance, verdict, mismatches: verdict.figures ? compareFigures(ours, verdict.figures) : [] };
}

/** Runs async jobs at most `concurrency` at a time (each evaluator run is a python process; the machine has few cores). */
export function limitConcurrency(concurrency: number): <T>(job: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: Array<() => void> = [];
  return async (job) => {
    if (active >= concurrency) await new Promise<void>((resolveTurn) => waiting.push(resolveTurn));
    active++;
    try {
      return await job();
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
}
