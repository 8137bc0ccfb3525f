/**
 * The fault run's result, its verdict and its Markdown report (bench/results/chaos.md). Pure, so the rules that decide
 * pass or fail are unit-tested (report.test.ts).
 */
import type { UnexpectedExit } from './app-process.ts';
import type { Audit } from './audit.ts';
import type { Recovery } from './probe.ts';

/** One fault the run injected and what followed. */
export interface FaultResult {
  /** Short name, e.g. `worker-kill`. */
  name: string;
  /** What was done, e.g. `kill -9 the worker, restart it`. */
  action: string;
  /** Milliseconds since the run started. */
  atMs: number;
  /** Milliseconds from the fault until the restarted process answered again (null: it never did). */
  processBackMs: number | null;
  recovery: Recovery;
  /** Facts worth a line: how a SIGTERM'd API exited, errors the probe saw, … */
  notes: string[];
  /** What went wrong with the fault's own step (e.g. the API did not exit cleanly on SIGTERM); fails the run. */
  failure?: string;
}

/** One line of the timeline: an event, or a sample of the orders by status. */
export interface TimelineEntry {
  atMs: number;
  event?: string;
  orders?: Record<string, number>;
}

export interface ChaosResult {
  mode: 'full' | 'short';
  startedAt: string;
  durationMs: number;
  /** What the stack ran with (riders, speed, ports…), for the report's header. */
  setup: Record<string, string | number>;
  /** Orders the simulator saw accepted (201, or 200 for an idempotent replay), and its failures. */
  simulator: { accepted: number; failed: number; delivered: number; errorKinds: Record<string, number> } | null;
  /** Probe orders the run itself placed and saw accepted. */
  probesAccepted: number;
  baseline: Recovery | null;
  faults: FaultResult[];
  unexpectedExits: UnexpectedExit[];
  drain: { ms: number; complete: boolean; deadlineMs: number } | null;
  audit: Audit | null;
  timeline: TimelineEntry[];
  /** A failure that stopped the run before its end (set-up failed, global deadline…). */
  aborted?: string;
}

export interface Verdict {
  passed: boolean;
  failures: string[];
}

/** The rules: everything accepted is delivered or deliberately cancelled, no double batching, every fault recovered with no process exiting by itself. */
export function verdictOf(r: ChaosResult): Verdict {
  const failures: string[] = [];
  if (r.aborted) failures.push(`the run did not finish: ${r.aborted}`);
  const a = r.audit;
  if (!a) failures.push('no audit (Postgres did not answer at the end)');
  else {
    if (a.stuck.length > 0) {
      const by = countBy(a.stuck.map((s) => s.status));
      failures.push(
        `${a.stuck.length} accepted order(s) neither delivered nor cancelled: ${Object.entries(by)
          .map(([s, n]) => `${n} ${s}`)
          .join(', ')}`,
      );
    }
    const undeliberate = a.cancelled.none ?? 0;
    if (undeliberate > 0) failures.push(`${undeliberate} order(s) cancelled without a reason`);
    if (a.ordersInTwoBatches > 0) failures.push(`${a.ordersInTwoBatches} order(s) in two batches`);
    if (a.ridersOnTwoActiveBatches > 0) failures.push(`${a.ridersOnTwoActiveBatches} rider(s) on two active batches`);
    const accepted = (r.simulator?.accepted ?? 0) + r.probesAccepted;
    if (r.simulator && a.rows < accepted) failures.push(`${accepted - a.rows} accepted order(s) missing from Postgres`);
  }
  if (!r.simulator) failures.push("the simulator's tally is missing (it did not finish cleanly)");
  for (const f of r.faults) {
    if (f.recovery.flowMs === null)
      failures.push(`${f.name}: orders did not flow again (${f.recovery.error ?? 'no recovery'})`);
    if (f.processBackMs === null) failures.push(`${f.name}: the restarted process never answered`);
    if (f.failure) failures.push(`${f.name}: ${f.failure}`);
  }
  for (const e of r.unexpectedExits)
    failures.push(
      `${e.process} exited by itself at ${seconds(e.atMs)} (code ${e.code ?? '–'}, signal ${e.signal ?? '–'})`,
    );
  return { passed: failures.length === 0, failures };
}

function countBy(values: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

/** `12.3 s`, or `–` for null. */
export function seconds(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? '–' : `${(ms / 1_000).toFixed(1)} s`;
}

const TIMELINE_STATUSES = ['placed', 'cooking', 'ready', 'batched', 'assigned', 'picked_up', 'delivered', 'cancelled'];

/** The report: verdict, the audit table, recovery per fault, the timeline. */
export function renderReport(r: ChaosResult, v: Verdict): string {
  const a = r.audit;
  const accepted = (r.simulator?.accepted ?? 0) + r.probesAccepted;
  const lines: string[] = [
    `# Fault run (\`npm run chaos${r.mode === 'short' ? ' -- --short' : ''}\`)`,
    '',
    `Run ${r.startedAt}, ${seconds(r.durationMs)} wall clock. **${v.passed ? 'PASSED' : 'FAILED'}**.`,
    '',
    'The distributed stack (API, worker, simulator as separate processes) on its own PostgreSQL cluster, Redis and',
    'Kafka (loopback, free ports, temporary directory), driven through a dinner rush while the run, in turn, kills the',
    'worker (`kill -9`, restart), kills Kafka (`kill -9`, restart), restarts Redis empty, restarts PostgreSQL and sends',
    'the API SIGTERM under load (and restarts it). Recovery is timed with a probe order placed after each fault: from the',
    "fault to the probe's 201 (*API back*) and to its assignment to a rider (*orders flow*); *orders flow* includes the",
    'wait behind the orders already waiting for a rider (*queue*, counted when the probe was accepted), which in the',
    'rush can be most of it. Dispatch also sweeps every second for the stores it already knows, so orders can flow before',
    'a restarted Kafka is back. Then demand stops, the run drains, and counts from PostgreSQL.',
    '',
    '## Set-up',
    '',
    ...Object.entries(r.setup).map(([k, val]) => `- ${k}: ${val}`),
    '',
  ];
  if (v.failures.length > 0) lines.push('## Failures', '', ...v.failures.map((f) => `- ${f}`), '');
  if (r.aborted) lines.push(`The run stopped early: ${r.aborted}`, '');
  lines.push('## Orders (from PostgreSQL after the drain)', '', '| figure | value |', '| --- | ---: |');
  lines.push(
    `| accepted (201/200 seen by the simulator + the run's probe orders) | ${r.simulator ? `${r.simulator.accepted} + ${r.probesAccepted} = ${accepted}` : `? + ${r.probesAccepted}`} |`,
  );
  if (r.simulator) lines.push(`| orders the simulator could not place (errors) | ${r.simulator.failed} |`);
  if (a) {
    lines.push(
      `| rows in \`orders\` | ${a.rows} |`,
      `| delivered | ${a.delivered} |`,
      `| cancelled | ${sumOf(a.cancelled)}${sumOf(a.cancelled) ? ` (${describe(a.cancelled)})` : ''} |`,
      `| stuck (neither delivered nor cancelled) | ${a.stuck.length}${a.stuck.length ? ` (${describe(countBy(a.stuck.map((s) => s.status)))})` : ''} |`,
      `| orders in two batches | ${a.ordersInTwoBatches} |`,
      `| riders on two active batches | ${a.ridersOnTwoActiveBatches} |`,
      `| batches still active | ${sumOf(a.activeBatches)}${sumOf(a.activeBatches) ? ` (${describe(a.activeBatches)})` : ''} |`,
      `| unpublished outbox rows | ${a.unpublishedOutbox} |`,
      `| dead-lettered events | ${a.dlq === null ? 'Kafka did not answer' : sumOf(a.dlq) === 0 ? '0' : `${sumOf(a.dlq)} (${describe(a.dlq)})`} |`,
    );
  }
  if (r.drain)
    lines.push(
      `| drain | ${r.drain.complete ? 'complete' : 'NOT complete'} after ${seconds(r.drain.ms)} (deadline ${seconds(r.drain.deadlineMs)}) |`,
    );
  lines.push('');
  if (a && a.deadLetters.length > 0) {
    lines.push(
      'Dead-lettered events (first 50):',
      '',
      '| failed at | topic | kind | attempts | reason |',
      '| --- | --- | --- | ---: | --- |',
    );
    for (const d of a.deadLetters)
      lines.push(
        `| ${d.failedAt} | ${d.topic} | ${d.kind} | ${d.attempts} | ${d.reason.replaceAll('|', '\\|').slice(0, 300)} |`,
      );
    lines.push('');
  }
  if (a && a.stuck.length > 0) {
    lines.push('Stuck orders (first 20):', '', '| order | status | age |', '| --- | --- | ---: |');
    for (const s of a.stuck.slice(0, 20)) lines.push(`| ${s.id} | ${s.status} | ${s.ageS} s |`);
    lines.push('');
  }
  lines.push(
    '## Recovery per fault',
    '',
    '| fault | at | process back | API back | orders flow | queue | notes |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- |',
  );
  if (r.baseline)
    lines.push(
      `| baseline (no fault) | – | – | ${seconds(r.baseline.apiMs)} | ${seconds(r.baseline.flowMs)} | ${r.baseline.waitingAtAccept ?? '–'} | probe order placed → assigned |`,
    );
  for (const f of r.faults) {
    const errs = describe(f.recovery.errors);
    const notes = [
      f.action,
      ...f.notes,
      ...(errs ? [`probe saw ${errs}`] : []),
      ...(f.recovery.error ? [`**${f.recovery.error}**`] : []),
    ];
    lines.push(
      `| ${f.name} | ${seconds(f.atMs)} | ${seconds(f.processBackMs)} | ${seconds(f.recovery.apiMs)} | ${seconds(f.recovery.flowMs)} | ${f.recovery.waitingAtAccept ?? '–'} | ${notes.join('; ')} |`,
    );
  }
  lines.push('');
  if (r.unexpectedExits.length > 0) {
    lines.push('## Processes that exited by themselves (restarted by the run after 1 s, as a supervisor would)', '');
    for (const e of r.unexpectedExits) {
      lines.push(
        `- ${e.process} at ${seconds(e.atMs)}: code ${e.code ?? '–'}, signal ${e.signal ?? '–'}; last output:`,
      );
      lines.push('', '  ```', ...lastLines(e.tail, 6).map((l) => `  ${l}`), '  ```', '');
    }
  }
  if (r.simulator && Object.keys(r.simulator.errorKinds).length > 0) {
    lines.push("## The simulator's failed calls", '', '| call and answer | count |', '| --- | ---: |');
    for (const [k, n] of Object.entries(r.simulator.errorKinds).sort((x, y) => y[1] - x[1]))
      lines.push(`| ${k} | ${n} |`);
    lines.push('');
  }
  lines.push(
    '## Timeline',
    '',
    `| t | event | ${TIMELINE_STATUSES.join(' | ')} |`,
    `| ---: | --- | ${TIMELINE_STATUSES.map(() => '---:').join(' | ')} |`,
  );
  for (const t of r.timeline) {
    const cells = TIMELINE_STATUSES.map((s) => (t.orders ? String(t.orders[s] ?? 0) : ''));
    lines.push(`| ${seconds(t.atMs)} | ${t.event ?? ''} | ${cells.join(' | ')} |`);
  }
  lines.push('');
  return `${lines.join('\n')}\n`;
}

function sumOf(counts: Record<string, number>): number {
  return Object.values(counts).reduce((s, n) => s + n, 0);
}

function describe(counts: Record<string, number>): string {
  return Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k}: ${n}`)
    .join(', ');
}

function lastLines(text: string, n: number): string[] {
  return text
    .trimEnd()
    .split('\n')
    .slice(-n)
    .map((l) => (l.length > 300 ? `${l.slice(0, 300)}…` : l));
}
