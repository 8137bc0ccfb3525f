/**
 * Replay speed on a full day: stacks four MDRPLIB days (seeds 1–4, o100t100s1p100, read from ../shared/mdrplib) into
 * one 3,000+-order instance in memory and replays it through the dispatch engine in virtual time. Target: < 10 s.
 * One warm-up replay, then three measured ones. Writes the "day" section of bench/results/replay.md. Run: `npx tsx bench/replay.bench.ts [mdrplib folder]`.
 */
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { checkFeasibility } from '../internal/replay/feasibility.ts';
import { loadInstance, mergeInstances } from '../internal/replay/instance.ts';
import { computeMetrics } from '../internal/replay/metrics.ts';
import { replayInstance } from '../internal/replay/replay-runner.ts';
import { writeResultSection } from './telemetry-results.ts';

const root = process.argv[2] ?? '../shared/mdrplib';
const sources = await Promise.all(
  ['1', '2', '3', '4'].map((seed) => loadInstance(join(root, `${seed}o100t100s1p100`))),
);
const day = mergeInstances('seeds1-4o100t100s1p100', sources);

// Wall time and this process's CPU time: the machine is shared, and other jobs inflate wall time but not CPU time.
const load = loadavg()[0]!;
const runs: number[] = [];
const cpu: number[] = [];
let last = replayInstance(day);
for (let i = 0; i < 3; i++) {
  const before = process.cpuUsage();
  last = replayInstance(day);
  const used = process.cpuUsage(before);
  runs.push(last.elapsedMs);
  cpu.push((used.user + used.system) / 1000);
}
const violations = checkFeasibility(day, last.solution).length;
const m = computeMetrics(day, last.solution);
const best = Math.min(...runs);
const lines = [
  '## One full day in virtual time',
  '',
  `Instance: ${day.name} — seeds 1–4 of o100t100s1p100 stacked (ids prefixed), ${day.orders.length} orders, ` +
    `${day.restaurants.length} restaurants, ${day.couriers.length} couriers. Dispatcher defaults.`,
  `Machine: ${cpus()[0]?.model ?? 'unknown'} (${cpus().length} cores), Node ${process.version}; 1-min load average at ` +
    `start ${load.toFixed(1)} (shared machine: wall time includes waiting for the CPU, CPU time does not).`,
  '',
  '| run | wall time (s) | CPU time (s) |',
  '|---|---|---|',
  ...runs.map((ms, i) => `| ${i + 1} | ${(ms / 1000).toFixed(2)} | ${(cpu[i]! / 1000).toFixed(2)} |`),
  '',
  `Best: **${(best / 1000).toFixed(2)} s** (target < 10 s). Feasibility violations: ${violations}.`,
  `Quality on this merged day: click-to-door ${m.clickToDoorMean.toFixed(2)} min (p90 ${m.clickToDoorP90.toFixed(1)}), ` +
    `ready-to-pickup ${m.readyToPickupMean.toFixed(2)}, undelivered ${m.undeliveredPct.toFixed(2)} %, $${m.costPerOrder.toFixed(2)}/order.`,
  '',
];
await writeResultSection('day', lines.join('\n').trimEnd(), 'replay.md', '# Replay benchmarks');
process.stdout.write(lines.join('\n'));
if (best >= 10_000 || violations > 0) process.exitCode = 1;
