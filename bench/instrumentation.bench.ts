/**
 * What the instrumentation costs on the hottest path (issue 14: "under 5 % of single-ping throughput"): the share of
 * the API's CPU spent inside metrics and tracing while it serves single GPS pings at the ingest benchmark's load.
 *
 * Three runs of `BENCH_QUICK=1 bench/telemetry.bench.ts` (the production API as `npm run api` starts it, wrk at 32
 * connections, real Postgres/Redis/Kafka), each with the API under `--cpu-prof`. Every profile sample whose stack holds
 * an instrumentation frame — prom-client, @opentelemetry, or our own metric/tracing modules — counts as
 * instrumentation, callees included (inclusive time), against all non-idle samples of the API's busiest process. On a
 * CPU-bound API that share is the throughput it costs; unlike an A/B of two builds it does not move with the
 * machine's load. Tracing is off, as in the default deployment (no OTEL_EXPORTER_OTLP_ENDPOINT).
 *
 * Run: npx tsx bench/instrumentation.bench.ts   (writes bench/results/instrumentation.md; ~3 minutes)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeResultSection } from './telemetry-results.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);

/** Call frames that are instrumentation: the libraries and our modules that only measure. */
const INSTRUMENTATION: Array<[label: string, test: RegExp]> = [
  ['prom-client', /node_modules\/prom-client\//],
  ['@opentelemetry', /node_modules\/@opentelemetry\//],
  [
    'deliverygo metrics and tracing modules',
    /(http-metrics|http-tracing|handler-timing|consumer-span|order-traces|tracing|internal\/metrics\/[^/]+|internal\/eventbus\/metrics)\.(ts|js)$/,
  ],
];

interface CpuProfile {
  nodes: Array<{ id: number; callFrame: { functionName: string; url: string }; children?: number[] }>;
  samples: number[];
  timeDeltas: number[];
}

interface Share {
  busyMs: number;
  byLabel: Record<string, number>;
  totalMs: number;
}

/** Inclusive instrumentation time of one profile: a sample counts once, under the outermost instrumentation frame. */
function instrumentationShare(profile: CpuProfile): Share {
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const labelOf = new Map<number, string | null>();
  const label = (id: number): string | null => {
    if (labelOf.has(id)) return labelOf.get(id)!;
    const up = parent.get(id);
    const outer = up === undefined ? null : label(up);
    const url = byId.get(id)!.callFrame.url;
    const own = INSTRUMENTATION.find(([, test]) => test.test(url))?.[0] ?? null;
    const result = outer ?? own;
    labelOf.set(id, result);
    return result;
  };
  const share: Share = { busyMs: 0, byLabel: {}, totalMs: 0 };
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i]!;
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    if (byId.get(id)!.callFrame.functionName === '(idle)') continue;
    share.busyMs += ms;
    const l = label(id);
    if (l) {
      share.byLabel[l] = (share.byLabel[l] ?? 0) + ms;
      share.totalMs += ms;
    }
  }
  return share;
}

const median = (values: number[]) => {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

async function main(): Promise<void> {
  const rows: string[] = [];
  const shares: number[] = [];
  const rates: number[] = [];
  for (let run = 1; run <= RUNS; run++) {
    const dir = mkdtempSync(join(tmpdir(), 'bench-instrumentation-'));
    const load = loadavg();
    const out = execFileSync('npx', ['tsx', 'bench/telemetry.bench.ts'], {
      cwd: ROOT,
      env: { ...process.env, BENCH_QUICK: '1', BENCH_SECONDS: String(SECONDS), API_CPU_PROF: dir },
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    const requests = Number(/requests: (\d+)/.exec(out)?.[1]);
    const durationUs = Number(/durationUs: (\d+)/.exec(out)?.[1]);
    const p99Us = Number(/p99: (\d+)/.exec(out)?.[1]);
    if (!requests || !durationUs) throw new Error(`no single-ping result in the ingest benchmark's output:\n${out}`);
    // The API's busiest process (the cluster primary, when there is one, only forwards connections).
    const profiles = readdirSync(dir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .map((f) => instrumentationShare(JSON.parse(readFileSync(join(dir, f), 'utf8')) as CpuProfile))
      .sort((a, b) => b.busyMs - a.busyMs);
    const share = profiles[0];
    if (!share) throw new Error(`the API wrote no CPU profile into ${dir} (${statSync(dir).isDirectory()})`);
    rmSync(dir, { recursive: true, force: true });
    const pct = (100 * share.totalMs) / share.busyMs;
    const rate = requests / (durationUs / 1e6);
    shares.push(pct);
    rates.push(rate);
    const parts = INSTRUMENTATION.map(([l]) => `${(((share.byLabel[l] ?? 0) * 100) / share.busyMs).toFixed(2)} %`);
    rows.push(
      `| ${run} | ${load.map((l) => l.toFixed(2)).join(' ')} | ${rate.toFixed(0)} | ${(p99Us / 1000).toFixed(1)} | ${(
        share.busyMs / 1000
      ).toFixed(1)} | ${parts.join(' | ')} | **${pct.toFixed(2)} %** |`,
    );
    console.log(`run ${run}: ${rate.toFixed(0)} req/s, instrumentation ${pct.toFixed(2)} % of the API's busy CPU`);
  }
  const verdict = median(shares) < 5 ? 'met' : '**not met**';
  const body = [
    `Measured ${new Date().toISOString()} on ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}; ${RUNS} runs of the single-ping ingest benchmark (\`BENCH_QUICK=1\`, 32 connections, ${SECONDS} s each), tracing off (the default).`,
    '',
    `| run | load avg before (1/5/15 min) | single pings/s | P99 ms | API busy CPU s | ${INSTRUMENTATION.map(([l]) => l).join(' | ')} | instrumentation, share of busy CPU |`,
    `| ---: | --- | ---: | ---: | ---: | ${INSTRUMENTATION.map(() => '---:').join(' | ')} | ---: |`,
    ...rows,
    '',
    `Median: **${median(shares).toFixed(2)} %** of the API's CPU (spread ${Math.min(...shares).toFixed(2)}–${Math.max(...shares).toFixed(2)} %) at a median ${median(rates).toFixed(0)} single pings/s. Target (issue 14): instrumentation under 5 % of single-ping throughput — ${verdict}.`,
  ].join('\n');
  await writeResultSection(
    'instrumentation',
    body,
    'instrumentation.md',
    `# Instrumentation cost

\`npx tsx bench/instrumentation.bench.ts\` writes the section below. How it measures: see the comment at the top of
bench/instrumentation.bench.ts — the API's own CPU profile while it serves single GPS pings, every sample with a
metrics or tracing frame on its stack counted as instrumentation (callees included), against all of the API's busy
samples. With tracing on (\`OTEL_EXPORTER_OTLP_ENDPOINT\` set) the GPS ping paths still start no span; Hono routes
get one server span each.`,
  );
}

await main();
