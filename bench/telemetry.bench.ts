/**
 * Telemetry ingest benchmark, against the real servers on 127.0.0.1 (Postgres, Redis, Kafka from `npm run infra:up`):
 *
 *  1. single-ping ingest: `POST /riders/{id}/location`, closed loop of C connections, fixed duration (light load,
 *     the target's load, saturation);
 *  2. bulk ingest: `POST /riders/locations` with 1 000 pings per post;
 *  3. history drain: the worker's history writer (Kafka `rider.location` → Postgres `rider_locations`) started after
 *     the ingest and timed until every ping is in the table — with the bus-level batch subscription the worker uses,
 *     then (bounded to 20 s) with per-message consumption, for comparison.
 *
 * Every scenario runs BENCH_RUNS times (default 3) alternating with its **baseline** — a bare node:http server in a
 * process of its own (bench/bare-ingest-server.ts: reads and parses the JSON body, answers 202 with a small JSON body) driven by the same
 * wrk script and connections, in the same minutes: bare, API, bare, API, bare, API. The results give per scenario the
 * median and spread (min–max) of both, their ratio (API ÷ bare, medians), and the load average before each run (issue
 * 16: absolute figures move by a third between runs and machines; a same-run ratio does not). Where a target is judged
 * (single pings at BENCH_SINGLE_CONNECTIONS, bulk) a third server runs between the two in every round: the **lane
 * ceiling** (bench/lane-ceiling-server.ts, the API's ingest lane in front of a service that accepts every ping at
 * once), which splits the API's distance from bare into what the HTTP lane costs and what the ping's own work costs.
 *
 * The API runs exactly as `npm run api` runs it: a child process (its build, `node dist/apps/api/main.js`, same node
 * flags; the bench runs `npm run build` first, so the build is the code as it is now) with
 * BENCH_API_WORKERS node:cluster workers (API_WORKERS; default 1 — on these 2 cores a second worker competes with
 * Redis, Kafka and the load generator and measured slower). The load generator is wrk (C, epoll — Debian's package, installed by
 * scripts/ensure-apt-package.sh when missing), driven by a generated Lua script: a JavaScript generator costs as much
 * CPU per request as the API's own handler and would measure itself on a 2-core machine. Every run targets 127.0.0.1
 * only and stops by itself (`wrk -d`); it uses a fresh database, a unique Redis prefix and a unique Kafka topic
 * prefix, and removes them afterwards.
 *
 * Run: npm run bench:telemetry   (writes its section of bench/results/telemetry.md)
 * Knobs (env): BENCH_SECONDS (default 10), BENCH_RUNS (default 3), BENCH_API_WORKERS (default 1),
 * BENCH_SINGLE_CONNECTIONS (default 32), BENCH_BULK_CONNECTIONS (default 4). BENCH_QUICK=1: only the single-ping run
 * at BENCH_SINGLE_CONNECTIONS (the bulk run instead with BENCH_QUICK_KIND=bulk), once, no baseline, no history drain,
 * nothing written (a before/after check of the ingest path, e.g. `BENCH_QUICK=1 BENCH_SECONDS=5`, alternated with
 * another checkout by the caller); with BENCH_QUICK_BASELINE=1 the bare server and the lane ceiling run just before it and the ratios are printed.
 * Takes about 15 minutes in full (6 scenarios × 3 runs × 2 servers × 12 s, 2 × 3 lane-ceiling runs, the history
 * drain, set-up).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { createDatabase } from '../internal/db/database.ts';
import { createEventBus } from '../internal/eventbus/create-event-bus.ts';
import type { EventBus } from '../internal/eventbus/event-bus.ts';
import { silentLogger } from '../internal/platform/logger.ts';
import { startHistoryConsumer } from '../internal/telemetry/history-consumer.ts';
import { ensureHistoryPartitions } from '../internal/telemetry/history-repository.ts';
import { deleteTopics, listTopics, uniqueTopic } from '../tests/support/kafka.ts';
import { buildCheckout, startApiProcess } from '../tests/support/api-process.ts';
import { createTestDatabase } from '../tests/support/postgres.ts';
import { createTestRedis } from '../tests/support/redis.ts';
import {
  realServersConfig,
  realServersEnv,
  TEST_OPERATOR_AUTH,
  TEST_OPERATOR_KEY,
} from '../tests/support/real-servers-env.ts';
import { writeResultSection } from './telemetry-results.ts';

const ROOT = new URL('..', import.meta.url).pathname;
const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

// ------------------------------------------------------------------------------------------------ load generator

/**
 * wrk's Lua side. `init(args)`: args = kind ('single' | 'bulk'), first recorded_at (ms since the epoch). Every ping
 * gets a later, distinct instant, so each rider's pings are newer than its last and become current (the expensive
 * case). `done` prints one `RESULT {json}` line; latencies are in microseconds.
 */
const WRK_SCRIPT = (ridersFile: string) => `
local riders, kind, start = {}, 'single', 0
local n = 0
local headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer ${TEST_OPERATOR_KEY}" }
function init(args)
  for line in io.lines("${ridersFile}") do riders[#riders + 1] = line end
  kind = args[1]
  start = tonumber(args[2])
end
local function instant()
  n = n + 1
  local t = start + n
  local s = math.floor(t / 1000)
  return string.format('%s.%03dZ', os.date('!%Y-%m-%dT%H:%M:%S', s), t - s * 1000)
end
local function rider() return riders[(n % #riders) + 1] end
request = function()
  if kind == 'single' then
    local id = rider()
    local body = string.format('{"lat":%.5f,"lon":%.5f,"recorded_at":"%s","speed":5.2,"heading":180,"accuracy":6}',
      43.7 + math.random() * 0.05, 7.4 + math.random() * 0.05, instant())
    return wrk.format('POST', '/riders/' .. id .. '/location', headers, body)
  end
  local parts = {}
  for i = 1, 1000 do
    local id = rider()
    parts[i] = string.format('{"rider_id":"%s","lat":%.5f,"lon":%.5f,"recorded_at":"%s","speed":5.2}',
      id, 43.7 + math.random() * 0.05, 7.4 + math.random() * 0.05, instant())
  end
  return wrk.format('POST', '/riders/locations', headers, '{"pings":[' .. table.concat(parts, ',') .. ']}')
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('RESULT {"requests":%d,"durationUs":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50":%d,"p90":%d,"p99":%d,"max":%d}\\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
`;

interface WrkResult {
  requests: number;
  durationUs: number;
  connect: number;
  read: number;
  write: number;
  status: number;
  timeout: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

function runWrk(
  script: string,
  base: string,
  kind: 'single' | 'bulk',
  connections: number,
  seconds: number,
  firstInstant: number,
): WrkResult {
  const out = execFileSync(
    'wrk',
    [
      '-t1',
      `-c${connections}`,
      `-d${seconds}s`,
      '--timeout',
      '10s',
      '-s',
      script,
      base,
      '--',
      kind,
      String(firstInstant),
    ],
    {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    },
  );
  const line = out.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`wrk printed no result:\n${out}`);
  return JSON.parse(line.slice('RESULT '.length)) as WrkResult;
}

// ------------------------------------------------------------------------------------------------- CPU meters

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** CPU seconds used so far by a process and its children (the cluster's workers). */
function processTreeCpuSeconds(pid: number): number {
  const children = (() => {
    try {
      return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
        .split('\n')
        .filter(Boolean)
        .map(Number);
    } catch {
      return [];
    }
  })();
  let ticks = 0;
  for (const p of [pid, ...children]) {
    try {
      const fields = readFileSync(`/proc/${p}/stat`, 'utf8').split(') ')[1]!.split(' ');
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of the full line)
    } catch {
      // gone meanwhile
    }
  }
  return ticks / TICKS_PER_SECOND;
}

/** Busy CPU seconds of the whole machine so far (every process: API, wrk, Redis, Kafka, Postgres, anything else). */
function machineBusySeconds(): number {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
  const [user, nice, system, , , irq, softirq, steal] = fields.map(Number) as number[]; // idle and iowait are not busy
  return (user! + nice! + system! + irq! + softirq! + steal!) / TICKS_PER_SECOND;
}

// ---------------------------------------------------------------------------------------------------- baseline

/**
 * A comparison server in its own process, started like the API (tsx loader): the bare node:http server
 * (bench/bare-ingest-server.ts) or the lane ceiling (bench/lane-ceiling-server.ts).
 */
async function startSideServer(
  file: string,
  env: Record<string, string> = {},
): Promise<{ child: ChildProcess; baseUrl: string; stop: () => Promise<void> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', file], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const m = /LISTENING (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`${file} exited with ${code} before listening`)));
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    await exited;
  };
  return { child, baseUrl: `http://127.0.0.1:${port}`, stop };
}

/** Median of a few numbers (the middle one of three). */
function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** One measured run of one server. */
interface Run {
  server: 'bare' | 'lane' | 'api';
  round: number;
  load: number[];
  requestsPerSecond: number;
  pingsPerSecond: number;
  p50: number;
  p99: number;
  max: number;
  errors: number;
  cores: number;
  busy: number;
}

// ------------------------------------------------------------------------------------------------------- main

interface Scenario {
  name: string;
  kind: 'single' | 'bulk';
  connections: number;
}

async function main(): Promise<void> {
  const seconds = env('BENCH_SECONDS', 10);
  const workers = env('BENCH_API_WORKERS', 1);
  const singleConnections = env('BENCH_SINGLE_CONNECTIONS', 32);
  const bulkConnections = env('BENCH_BULK_CONNECTIONS', 4);
  const quick = process.env.BENCH_QUICK === '1';
  // A quick run with its baselines: the bare server and the lane ceiling measured just before the API, ratios printed.
  const quickBaseline = quick && process.env.BENCH_QUICK_BASELINE === '1';
  const runs = quick ? 1 : env('BENCH_RUNS', 3);
  const riderCount = 10_000;
  execFileSync(
    'bash',
    [join(ROOT, 'scripts/ensure-apt-package.sh'), '/usr/bin/wrk', 'wrk', 'the telemetry benchmark’s load generator'],
    { stdio: 'inherit' },
  );
  // Built before anything is created or measured: a failed build leaves nothing behind, and tsc's CPU is not in the load.
  buildCheckout(ROOT);
  const loadBefore = loadavg();

  const testDb = await createTestDatabase('bench_telemetry');
  const redis = await createTestRedis();
  const topicPrefix = `${uniqueTopic('bench-telemetry')}.`;
  const isolation = { databaseUrl: testDb.url, redisPrefix: redis.prefix, topicPrefix };
  const config = realServersConfig(isolation, { LOG_LEVEL: 'error' });
  const api = await startApiProcess(realServersEnv(isolation, { LOG_LEVEL: 'error', API_WORKERS: String(workers) }), {
    compiled: true,
  });
  const base = api.baseUrl;
  const withBaselines = !quick || quickBaseline;
  const bare = withBaselines ? await startSideServer('bench/bare-ingest-server.ts') : undefined;
  const lane = withBaselines
    ? await startSideServer('bench/lane-ceiling-server.ts', { OPERATOR_KEY: TEST_OPERATOR_KEY })
    : undefined;
  const db = createDatabase(testDb.url);
  const work = mkdtempSync(join(tmpdir(), 'bench-telemetry-'));
  const lines: string[] = [];
  try {
    const riders = Array.from({ length: riderCount }, () => randomUUID());
    await sql`INSERT INTO riders (id, name) SELECT id, 'bench rider' FROM unnest(${riders}::uuid[]) AS id`.execute(
      db.db,
    );
    const ridersFile = join(work, 'riders.txt');
    writeFileSync(ridersFile, `${riders.join('\n')}\n`);
    const script = join(work, 'ingest.lua');
    writeFileSync(script, WRK_SCRIPT(ridersFile));

    // Riders ping continuously in production, so every worker's known-riders cache is warm: warm them (and the geo
    // store) with bulk posts of every rider, older than every measured ping; the cluster spreads connections, so post
    // each chunk a few times.
    const scenarios: Scenario[] = quick
      ? [
          process.env.BENCH_QUICK_KIND === 'bulk'
            ? { name: 'bulk `POST /riders/locations` (1 000 pings)', kind: 'bulk', connections: bulkConnections }
            : { name: 'single ping `POST /riders/{id}/location`', kind: 'single', connections: singleConnections },
        ]
      : [
          { name: 'single ping `POST /riders/{id}/location`', kind: 'single', connections: 4 },
          { name: 'single ping `POST /riders/{id}/location`', kind: 'single', connections: 16 },
          { name: 'single ping `POST /riders/{id}/location`', kind: 'single', connections: singleConnections },
          { name: 'single ping `POST /riders/{id}/location`', kind: 'single', connections: 48 },
          { name: 'single ping `POST /riders/{id}/location`', kind: 'single', connections: 64 },
          { name: 'bulk `POST /riders/locations` (1 000 pings)', kind: 'bulk', connections: bulkConnections },
        ];
    // Two hours of instants per measured run (warm-up, run) of any of the three servers, all before now: the API
    // refuses pings from the future (400), which would be answered far faster than real pings (and fail the run).
    let firstInstant = Date.now() - (2 * 3 * runs * scenarios.length + 4) * 3_600_000;
    for (let round = 0; round < 2 * workers; round++) {
      for (let i = 0; i < riderCount; i += 1_000) {
        const pings = riders.slice(i, i + 1_000).map((rider_id) => ({
          rider_id,
          lat: 43.7,
          lon: 7.4,
          recorded_at: new Date(firstInstant + round).toISOString(),
        }));
        const res = await fetch(`${base}/riders/locations`, {
          method: 'POST',
          headers: { ...TEST_OPERATOR_AUTH, 'content-type': 'application/json' },
          body: JSON.stringify({ pings }),
        });
        if (res.status !== 202) throw new Error(`warm-up post answered ${res.status}: ${await res.text()}`);
      }
    }

    const f = (v: number, d = 1) => v.toFixed(d);
    const ms = (us: number, d = 2) => f(us / 1000, d);
    /** One warm-up (2 s, not recorded) and one measured run of `server` for scenario `s`. */
    const measure = (s: Scenario, server: Run['server'], round: number, target: { pid: number; base: string }): Run => {
      firstInstant += 3_600_000; // one hour of instants per run: later than everything posted before
      runWrk(script, target.base, s.kind, s.connections, 2, firstInstant);
      firstInstant += 3_600_000;
      const load = loadavg();
      const cpu0 = processTreeCpuSeconds(target.pid);
      const busy0 = machineBusySeconds();
      const r = runWrk(script, target.base, s.kind, s.connections, seconds, firstInstant);
      const wall = r.durationUs / 1e6;
      const cores = (processTreeCpuSeconds(target.pid) - cpu0) / wall;
      const busy = (machineBusySeconds() - busy0) / wall;
      const pingsPer = s.kind === 'bulk' ? 1_000 : 1;
      const run: Run = {
        server,
        round,
        load,
        requestsPerSecond: r.requests / wall,
        pingsPerSecond: server === 'bare' ? r.requests / wall : (r.requests * pingsPer) / wall,
        p50: r.p50,
        p99: r.p99,
        max: r.max,
        errors: r.connect + r.read + r.write + r.status + r.timeout,
        cores,
        busy,
      };
      console.log(s.name, s.connections, server, round, r, { [`${server}Cores`]: cores, busyCores: busy, load });
      // A refused or failed request is answered far faster than a ping is taken: such a run measures failures.
      if (run.errors > 0)
        throw new Error(
          `${server}, ${s.name}, ${s.connections} connections, round ${round}: ${run.errors} errors or non-2xx answers`,
        );
      return run;
    };
    const summary: string[] = [];
    const detail: string[] = [];
    const spread = (values: number[], d: number) => `${f(Math.min(...values), d)}–${f(Math.max(...values), d)}`;
    let bareSingleAtTarget: number | undefined;
    for (const s of scenarios) {
      const runsOf: Record<Run['server'], Run[]> = { bare: [], lane: [], api: [] };
      // The lane ceiling only where a target is judged: single pings at the target connections, and bulk.
      const withLane = lane && (s.kind === 'bulk' || s.connections === singleConnections) ? lane : undefined;
      for (let round = 1; round <= runs; round++) {
        // Bare first, then the lane ceiling, then the API, every round: all see the same minutes of this machine.
        if (bare) runsOf.bare.push(measure(s, 'bare', round, { pid: bare.child.pid!, base: bare.baseUrl }));
        if (withLane) runsOf.lane.push(measure(s, 'lane', round, { pid: withLane.child.pid!, base: withLane.baseUrl }));
        runsOf.api.push(measure(s, 'api', round, { pid: api.child.pid!, base }));
      }
      if (quickBaseline) {
        const ratio = (r: Run | undefined) =>
          r ? (r.pingsPerSecond / runsOf.bare[0]!.requestsPerSecond).toFixed(3) : '—';
        console.log(`ratio: ${ratio(runsOf.api[0])} lane-ratio: ${ratio(runsOf.lane[0])}`);
      }
      if (quick) continue;
      const rate = (server: Run['server']) => median(runsOf[server].map((r) => r.requestsPerSecond));
      const apiPings = median(runsOf.api.map((r) => r.pingsPerSecond));
      const p99 = median(runsOf.api.map((r) => r.p99));
      if (s.kind === 'single' && s.connections === singleConnections) bareSingleAtTarget = rate('bare');
      const d = s.kind === 'bulk' ? 1 : 0;
      summary.push(
        `| ${s.name} | ${s.connections} | ${f(rate('api'), d)} (${spread(
          runsOf.api.map((r) => r.requestsPerSecond),
          d,
        )}) | ${f(apiPings, 0)} | ${ms(p99)} (${spread(
          runsOf.api.map((r) => r.p99 / 1000),
          2,
        )}) | ${f(rate('bare'), d)} (${spread(
          runsOf.bare.map((r) => r.requestsPerSecond),
          d,
        )}) | ${ms(median(runsOf.bare.map((r) => r.p99)))} | **${f(rate('api') / rate('bare'), 2)}×** | ${
          runsOf.lane.length > 0
            ? `${f(rate('lane'), d)} (${spread(
                runsOf.lane.map((r) => r.requestsPerSecond),
                d,
              )}) | ${f(rate('lane') / rate('bare'), 2)}×`
            : '— | —'
        } | ${
          s.kind === 'bulk' && bareSingleAtTarget !== undefined
            ? `**${f(apiPings / bareSingleAtTarget, 2)}×** bare single-ping req/s at ${singleConnections} conn.${
                runsOf.lane.length > 0
                  ? ` (lane ceiling: ${f(median(runsOf.lane.map((r) => r.pingsPerSecond)) / bareSingleAtTarget, 2)}×)`
                  : ''
              }`
            : ''
        } |`,
      );
      for (const r of runsOf.bare.flatMap((b, i) => [b, ...runsOf.lane.slice(i, i + 1), runsOf.api[i]!])) {
        detail.push(
          `| ${s.kind} | ${s.connections} | ${r.round} | ${r.server} | ${r.load.map((l) => l.toFixed(2)).join(' ')} | ${f(
            r.requestsPerSecond,
            d,
          )} | ${f(r.pingsPerSecond, 0)} | ${ms(r.p50)} | ${ms(r.p99)} | ${ms(r.max, 1)} | ${r.errors} | ${f(r.cores, 2)} | ${f(
            r.busy,
            2,
          )} |`,
        );
      }
    }

    if (quick) return;
    // History: everything the ingest published (warm-up included) is in Kafka. Drain it twice from the start of the
    // topic, under two consumer groups: with the bus-level batch subscription (what the worker runs), then with the
    // per-message subscription (the bus hides `subscribeBatch`), bounded to 20 s, into an emptied table.
    const workerBus = createEventBus(config, silentLogger).bus;
    const drain = async (bus: EventBus, group: string, maxSeconds: number) => {
      await sql`TRUNCATE rider_locations`.execute(db.db);
      const drainStart = performance.now();
      const history = await startHistoryConsumer({
        db: db.db,
        bus,
        logger: silentLogger,
        consume: config.bus,
        group,
        batch: { maxRows: config.telemetry.historyBatchRows, lingerMs: config.telemetry.historyLingerMs },
      });
      let rows = 0;
      let lastChange = performance.now();
      let lastRows = -1;
      const deadline = performance.now() + maxSeconds * 1000;
      while (performance.now() < deadline) {
        rows = Number((await sql<{ n: string }>`SELECT count(*) AS n FROM rider_locations`.execute(db.db)).rows[0]!.n);
        if (rows !== lastRows) {
          lastRows = rows;
          lastChange = performance.now();
        } else if (performance.now() - lastChange > 3_000) break; // nothing new for 3 s: drained
        await new Promise((r) => setTimeout(r, 250));
      }
      const drainSeconds = (lastChange - drainStart) / 1000;
      const stats = { ...history.writer.stats };
      await history.stop();
      return { rows, drainSeconds, stats };
    };
    await ensureHistoryPartitions(db.db, new Date());
    const batched = await drain(workerBus, 'bench.history.batched', 180);
    console.log('history batched', batched);
    const perMessageBus: EventBus = {
      publish: (...a) => workerBus.publish(...a),
      publishAll: (r) => workerBus.publishAll(r),
      subscribe: (...a) => workerBus.subscribe(...a),
      close: () => Promise.resolve(),
    };
    const perMessage = await drain(perMessageBus, 'bench.history.per-message', 20);
    console.log('history per message', perMessage);
    await workerBus.close();

    const f1 = (v: number) => v.toFixed(1);
    lines.push(
      `Measured ${new Date().toISOString()} on ${cpus().length} × ${cpus()[0]?.model.trim()} (load avg at the start: ${loadBefore.map((l) => l.toFixed(2)).join(' ')}); API as \`npm run api\` with API_WORKERS=${workers}, load generator wrk (1 thread), Postgres, Redis and Kafka all on this machine. Each scenario ran ${runs} times alternating with its baseline, a bare node:http server (bench/bare-ingest-server.ts, own process, reads and parses the JSON body and answers 202 with a small JSON body) driven by the same wrk script and connections: ${seconds} s measured after a 2 s warm-up per run; 10 000 riders; latencies are wrk's (closed loop, from sending the request to the whole response). Figures are medians of the ${runs} runs with the spread (min–max) in brackets; the ratio is API ÷ bare (medians). Where a target is judged (single pings at ${singleConnections} connections, bulk) a third server ran in each round between the two: the lane ceiling (bench/lane-ceiling-server.ts: the API's own ingest lane — authentication, validation, error bodies, metric, answer — in front of a service that accepts every ping at once), the most the API could do if Redis, Kafka and the live feed cost nothing.`,
      '',
      '| scenario | connections | API requests/s | API pings/s | API p99 ms | bare requests/s | bare p99 ms | API ÷ bare (requests) | lane ceiling requests/s | lane ceiling ÷ bare | bulk pings/s ÷ bare single-ping requests/s |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
      ...summary,
      '',
      'Every run, in the order run (load average before each: 1, 5, 15 min):',
      '',
      '| kind | connections | round | server | load before | requests/s | pings/s | p50 ms | p99 ms | max ms | errors / non-2xx | server CPU (cores) | machine busy (cores) |',
      '| --- | ---: | ---: | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...detail,
      '',
      'History drain (Kafka `rider.location` → Postgres `rider_locations`, started after the ingest, each from the start of the topic into an emptied table):',
      '',
      '| consumption | rows | seconds | rows/s | INSERTs | mean rows / INSERT | max |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...(
        [
          ['bus-level batches (`subscribeBatch`, what the worker runs)', batched],
          ['per message (`subscribe`, one in flight per partition; stopped after 20 s)', perMessage],
        ] as const
      ).map(
        ([name, d]) =>
          `| ${name} | ${d.rows} | ${f1(d.drainSeconds)} | ${(d.rows / Math.max(d.drainSeconds, 0.001)).toFixed(0)} | ${d.stats.batches} | ${f1(d.stats.rows / Math.max(1, d.stats.batches))} | ${d.stats.maxBatch} |`,
      ),
    );
  } finally {
    await api.stop();
    await bare?.stop();
    await lane?.stop();
    await db.close();
    await redis.cleanup();
    await testDb.drop();
    const topics = (await listTopics()).filter((t) => t.startsWith(topicPrefix));
    await deleteTopics(topics).catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  }
  if (quick) return;
  await writeResultSection(`ingest-api-workers-${workers}`, lines.join('\n'));
  console.log(lines.join('\n'));
}

await main();
process.exit(0);
