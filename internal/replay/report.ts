/**
 * Text output of the replay: a progress bar and the results table with the paper's numbers beside our means.
 */
import type { Metrics } from './metrics.ts';
import type { OfficialOutcome } from './official-evaluator.ts';

/**
 * Reyes et al. 2018, "The Meal Delivery Routing Problem", Table 17: their rolling-horizon algorithm with known ready
 * times, mean over all 240 MDRPLIB instances. Utilisation and overage are not given there.
 */
export const PAPER_TABLE_17 = {
  undeliveredPct: 0.25,
  clickToDoorMean: 32.74,
  clickToDoorP90: 49.3,
  readyToPickupMean: 1.93,
  readyToPickupP90: 6.04,
  costPerOrder: 11.42,
  ordersPerBundle: 1.09,
} as const satisfies Partial<Record<keyof Metrics, number>>;

/** Our targets from the dispatch-quality issue. */
export const TARGETS = {
  undeliveredPct: 0,
  clickToDoorMean: 31.5,
  clickToDoorP90: 47,
  costPerOrder: 11.42,
} as const satisfies Partial<Record<keyof Metrics, number>>;

export interface InstanceRow {
  readonly instance: string;
  readonly metrics: Metrics;
  readonly violations: number;
  readonly elapsedMs: number;
  readonly meanRegret: number;
  /** Orders no courier could ever have picked up before its off_time (deliverability.ts). */
  readonly structurallyUndeliverable?: number;
  /** Undelivered orders some courier could have served: lost to scheduling. */
  readonly lostToScheduling?: number;
}

const COLUMNS: Array<{ title: string; key: keyof Metrics; digits: number }> = [
  { title: 'undeliv%', key: 'undeliveredPct', digits: 2 },
  { title: 'c2d', key: 'clickToDoorMean', digits: 2 },
  { title: 'c2d p90', key: 'clickToDoorP90', digits: 1 },
  { title: 'overage', key: 'overageMean', digits: 2 },
  { title: 'r2p', key: 'readyToPickupMean', digits: 2 },
  { title: 'r2p p90', key: 'readyToPickupP90', digits: 2 },
  { title: 'util', key: 'utilisationMean', digits: 3 },
  { title: 'util p10', key: 'utilisationP10', digits: 3 },
  { title: '$/order', key: 'costPerOrder', digits: 2 },
  { title: 'ord/bndl', key: 'ordersPerBundle', digits: 3 },
];

const fmt = (v: number | undefined, digits: number) => (v === undefined || Number.isNaN(v) ? '—' : v.toFixed(digits));

/** A fixed-width progress bar line (no newline). */
export function progressBar(done: number, total: number, label: string, width = 30): string {
  const filled = total === 0 ? width : Math.round((done / total) * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${label}`;
}

/** Results table: one row per instance, then our mean and the paper's Table 17 values. */
export function formatTable(
  rows: readonly InstanceRow[],
  meanRow: Metrics,
  totals: { violations: number; elapsedMs: number; meanRegret: number },
): string {
  const header = [
    'instance',
    'orders',
    'undeliv',
    'no-cour',
    'lost',
    ...COLUMNS.map((c) => c.title),
    'viol',
    'regret',
    'ms',
  ];
  const count = (n: number | undefined) => (n === undefined ? '—' : String(n));
  const sum = (f: (r: InstanceRow) => number | undefined) =>
    rows.some((r) => f(r) === undefined) ? undefined : rows.reduce((a, r) => a + f(r)!, 0);
  const body = rows.map((r) => [
    r.instance,
    String(r.metrics.orders),
    String(r.metrics.orders - r.metrics.delivered),
    count(r.structurallyUndeliverable),
    count(r.lostToScheduling),
    ...COLUMNS.map((c) => fmt(r.metrics[c.key], c.digits)),
    String(r.violations),
    fmt(r.meanRegret, 3),
    String(Math.round(r.elapsedMs)),
  ]);
  const mean = [
    `MEAN (${rows.length})`,
    String(meanRow.orders),
    `Σ ${meanRow.orders - meanRow.delivered}`,
    `Σ ${count(sum((r) => r.structurallyUndeliverable))}`,
    `Σ ${count(sum((r) => r.lostToScheduling))}`,
    ...COLUMNS.map((c) => fmt(meanRow[c.key], c.digits)),
    String(totals.violations),
    fmt(totals.meanRegret, 3),
    String(Math.round(totals.elapsedMs)),
  ];
  const paper = [
    'PAPER T17 (240)',
    '',
    '',
    '',
    '',
    ...COLUMNS.map((c) => fmt((PAPER_TABLE_17 as Partial<Record<keyof Metrics, number>>)[c.key], c.digits)),
    '',
    '',
    '',
  ];
  const target = [
    'TARGET',
    '',
    '',
    '',
    '',
    ...COLUMNS.map((c) => {
      const t = (TARGETS as Partial<Record<keyof Metrics, number>>)[c.key];
      return t === undefined ? '' : `≤${fmt(t, c.digits)}`;
    }),
    '0',
    '',
    '',
  ];
  const all = [header, ...body, mean, paper, target];
  const widths = header.map((_, i) => Math.max(...all.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]) =>
    row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), rule, ...body.map(line), rule, line(mean), line(paper), line(target)].join('\n');
}

/** One line: how many instances the evaluator found FEASIBLE and how many agree with our figures. */
export function officialSummaryLine(rows: readonly OfficialOutcome[]): string {
  const feasible = rows.filter((r) => r.verdict.feasible).length;
  const equal = rows.filter((r) => r.verdict.feasible && r.mismatches.length === 0).length;
  return `official evaluator: ${feasible}/${rows.length} FEASIBLE; figures equal ours on ${equal}/${rows.length}`;
}

/** Where the evaluator disagrees: infeasible instances and differing figures, one line each. */
export function officialProblems(rows: readonly OfficialOutcome[]): string[] {
  return rows.flatMap((r) => [
    ...(r.verdict.feasible ? [] : [`${r.instance}: INFEASIBLE`]),
    ...r.mismatches.map((m) => `${r.instance}: ${m.figure} ours ${m.ours} ≠ official ${m.official}`),
  ]);
}

/** Markdown table of the evaluator's verdict and figures per instance. */
export function officialMarkdownTable(rows: readonly OfficialOutcome[]): string {
  const f = (v: number | undefined, digits = 2) => (v === undefined ? '—' : v.toFixed(digits));
  return [
    '| instance | verdict | delivered | click-to-door | c2d p90 | ready-to-pickup | utilisation | $/order | orders/bundle | figures = ours |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => {
      const x = r.verdict.figures;
      return (
        `| ${r.instance} | ${r.verdict.feasible ? 'FEASIBLE' : '**INFEASIBLE**'} | ${x ? `${x.delivered}/${x.orders}` : '—'} | ` +
        `${f(x?.clickToDoorMean)} | ${f(x?.clickToDoorP90)} | ${f(x?.readyToPickupMean)} | ${f(x?.utilisationMean)} | ` +
        `${x ? f(x.totalPayment / x.delivered) : '—'} | ${f(x?.ordersPerBundle)} | ` +
        `${!x ? '—' : r.mismatches.length === 0 ? 'yes' : `**no**: ${r.mismatches.map((m) => m.figure).join(', ')}`} |`
      );
    }),
  ].join('\n');
}
