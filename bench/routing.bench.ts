/**
 * Routing benchmark: route and table(25×25) throughput and latency of the OSRM adapter against the replay server on
 * 127.0.0.1 (recorded osrm-routed answers from ../shared/osrm), of the embedded road router on the committed Monaco
 * graph (data/monaco, the same questions, computed in process) and of the straight-line adapter. No cache; each case
 * runs three times and the median run (by p50) is reported.
 *
 * The replay server answers from memory, so the OSRM numbers are the client's own cost — loopback HTTP over the
 * keep-alive pool, JSON parsing, zod validation, result mapping — without osrm-routed's compute time, which
 * ../shared/osrm/README.md gives for Monaco (route with full geometry p50 0.52 ms, table 25×25 p50 5.5 ms).
 *
 * Run: npm run bench:routing   (writes bench/results/routing.md)
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { OsrmRouter } from '../internal/routing/osrm-router.ts';
import { loadRecordings, startOsrmReplayServer } from '../internal/routing/osrm-replay-server.ts';
import type { LatLng, Router } from '../internal/routing/router.ts';
import { StraightLineRouter } from '../internal/routing/straight-line-router.ts';
import { roadGraphPath } from '../internal/routing/create-router.ts';
import { loadRoadGraph } from '../internal/routing/road-graph.ts';
import { RoadRouter } from '../internal/routing/road-router.ts';

interface Case {
  adapter: string;
  /** Runs to make; the median one (by p50) is reported. */
  runs: number;
  operation: string;
  concurrency: number;
  iterations: number;
  run: () => Promise<unknown>;
}

interface Result {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

/** Milliseconds with enough digits for the straight line's microsecond calls. */
const ms = (v: number) => (v < 0.1 ? v.toFixed(4) : v.toFixed(3));

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Runs `iterations` calls with `concurrency` in flight; every call's latency is kept. */
async function measure({ run, iterations, concurrency }: Case): Promise<Result> {
  for (let i = 0; i < Math.min(200, iterations); i++) await run(); // warm-up: JIT, connections
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < iterations) {
        const t0 = performance.now();
        try {
          await run();
        } catch {
          errors += 1;
        }
        latencies.push(performance.now() - t0);
      }
    }),
  );
  const elapsedS = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { rps: iterations / elapsedS, p50: percentile(latencies, 50), p99: percentile(latencies, 99), errors };
}

const pointsOf = (path: string): LatLng[] =>
  path
    .split('/')[4]!
    .split('?')[0]!
    .split(';')
    .map((pair) => {
      const [lon, lat] = pair.split(',').map(Number);
      return { lat: lat!, lon: lon! };
    });

async function main(): Promise<void> {
  const recordings = new Map((await loadRecordings()).map((r) => [r.name, r]));
  const [from, to] = pointsOf(recordings.get('route-casino-fontvieille')!.request.path) as [LatLng, LatLng];
  const table25 = pointsOf(recordings.get('table-25x25')!.request.path);
  if (table25.length !== 25) throw new Error('table-25x25 recording does not hold 25 points');

  const server = await startOsrmReplayServer();
  const osrm = new OsrmRouter({ baseUrl: server.url });
  const straight = new StraightLineRouter();
  // The road router computes in process: its pair cache is off so that every table is searched in full.
  const roadLoadStart = performance.now();
  const road = new RoadRouter(loadRoadGraph(roadGraphPath(undefined)), { pairCacheSize: 0 });
  const roadLoadMs = performance.now() - roadLoadStart;
  const roadCached = new RoadRouter(road.roads);
  // [adapter, router, route iterations, table iterations]
  const adapters: Array<[string, Router, number, number]> = [
    ['OSRM (replay server)', osrm, 5000, 2000],
    ['road graph (embedded)', road, 2000, 40],
    ['straight line', straight, 100_000, 40_000],
  ];
  const cases: Case[] = [];
  for (const [adapter, router, routeIterations, tableIterations] of adapters) {
    for (const concurrency of [1, 8]) {
      cases.push(
        {
          adapter,
          runs: 3,
          operation: 'route',
          concurrency,
          iterations: routeIterations,
          run: () => router.route(from, to),
        },
        {
          adapter,
          runs: 3,
          operation: 'table 25×25',
          concurrency,
          iterations: tableIterations,
          run: () => router.table(table25, table25),
        },
      );
    }
  }
  // What a dispatch round mostly pays: the same points as the previous round, answered from the pair cache.
  cases.push({
    adapter: 'road graph, pair cache warm',
    runs: 3,
    operation: 'table 25×25',
    concurrency: 1,
    iterations: 2000,
    run: () => roadCached.table(table25, table25),
  });

  const rows: string[] = [];
  let failed = false;
  for (const c of cases) {
    const runs: Result[] = [];
    for (let i = 0; i < c.runs; i++) runs.push(await measure(c));
    const r = runs.sort((a, b) => a.p50 - b.p50)[Math.floor(runs.length / 2)]!;
    failed ||= r.errors > 0;
    const line = `| ${c.adapter} | ${c.operation} | ${c.concurrency} | ${c.iterations} | ${Math.round(r.rps).toLocaleString('en-US')} | ${ms(r.p50)} | ${ms(r.p99)} | ${r.errors} |`;
    rows.push(line);
    console.log(line);
  }
  await osrm.close();
  await server.close();
  await road.close();
  await roadCached.close();
  if (server.misses.length > 0) throw new Error(`requests without a recording: ${server.misses.join(', ')}`);

  const cpu = cpus();
  // Load on the machine while the benchmark ran: other processes share these cores and widen the tails.
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' / ');
  const report = `# Routing benchmark

Generated by \`npm run bench:routing\` (bench/routing.bench.ts) on ${new Date().toISOString().slice(0, 10)}:
Node ${process.version}, ${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, load average ${load} (1 / 5 / 15 min) at the end.

Cache off. "OSRM (replay server)" is \`OsrmRouter\` against the replay server on 127.0.0.1, which answers the recorded
osrm-routed responses of ../shared/osrm from memory: the numbers are the client's cost (keep-alive HTTP on loopback,
JSON parsing, zod validation, mapping), with the replay server sharing the same CPU. A real osrm-routed adds its compute
time: on Monaco, route with full geometry p50 0.52 / p99 0.95 ms and table 25×25 p50 5.5 / p99 6.5 ms
(../shared/osrm/README.md). Requests/s is iterations ÷ wall time with \`concurrency\` calls in flight; latencies are per call.
Each row is the median (by p50) of three runs made one after the other in this process.

"road graph (embedded)" is \`RoadRouter\` on data/monaco/graph.json (built by \`npm run roads\` from the same Monaco
extract OSRM was prepared from; loaded and indexed in ${Math.round(roadLoadMs)} ms), answering the same questions in process:
no network, but the whole search — snapping (Flatbush), then ngraph.path NBA* (bidirectional A*) per cell — in JavaScript, with its pair cache off
(OSRM's figures above likewise exclude any cache). Its searches share the one JavaScript thread (a table yields every 8 ms, so
the API in the same process stays responsive): concurrency adds no throughput, and 8 tables in flight each take ~8× as long. The last row is the
same table with the pair cache warm, as a dispatch round mostly asks it (the points of the previous round).

| adapter | operation | concurrency | iterations | requests/s | p50 ms | p99 ms | errors |
|---|---|---:|---:|---:|---:|---:|---:|
${rows.join('\n')}
`;
  await mkdir(new URL('./results/', import.meta.url), { recursive: true });
  await writeFile(new URL('./results/routing.md', import.meta.url), report);
  console.log('wrote bench/results/routing.md');
  if (failed) throw new Error('some calls failed; see the errors column');
}

await main();
