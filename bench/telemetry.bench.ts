/**
 * Telemetry ingest benchmark, against the real servers on 127.0.0.1 (Postgres, Redis, Kafka from `npm run infra:up`):
 *
 *  1. single-ping ingest: `POST /riders/{id}/location`, closed loop of C connections, fixed duration;
 *  2. bulk ingest: `POST /riders/locations` with 1 000 pings per post;
 *  3. history drain: the worker's history writer (Kafka `rider.location` → Postgres `rider_locations`) started after
 *     the ingest and timed until every ping is in the table — with the bus-level batch subscription the worker uses,
 *     then (bounded to 20 s) with per-message consumption, for comparison.
 *
 * The API runs in this process's main thread exactly as `npm run api` composes it; the load generator runs in a worker
 * thread (its own event loop and core), with undici keep-alive connections. Everything is bounded by time and stops by
 * itself; it uses a fresh database, a unique Redis prefix and a unique Kafka topic prefix, and removes them afterwards.
 *
 * Run: npm run bench:telemetry   (writes its section of bench/results/telemetry.md)
 * Knobs (env): BENCH_SECONDS (default 10), BENCH_SINGLE_CONNECTIONS (default 64), BENCH_BULK_CONNECTIONS (default 4).
 */
import { randomUUID } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { sql } from 'kysely';
import { Pool } from 'undici';
import { composeApi } from '../apps/api/compose.ts';
import { createDatabase } from '../internal/db/database.ts';
import { createEventBus } from '../internal/eventbus/create-event-bus.ts';
import type { EventBus } from '../internal/eventbus/event-bus.ts';
import { silentLogger } from '../internal/platform/logger.ts';
import { startHistoryConsumer } from '../internal/telemetry/history-consumer.ts';
import { ensureHistoryPartitions } from '../internal/telemetry/history-repository.ts';
import { deleteTopics, listTopics, uniqueTopic } from '../tests/support/kafka.ts';
import { createTestDatabase } from '../tests/support/postgres.ts';
import { createTestRedis } from '../tests/support/redis.ts';
import { writeResultSection } from './telemetry-results.ts';
import { realServersConfig } from '../tests/support/real-servers-env.ts';

interface LoadJob {
  kind: 'single' | 'bulk';
  base: string;
  riders: string[];
  connections: number;
  seconds: number;
  warmupSeconds: number;
  /** recordedAt of the first ping; every ping gets a later, distinct instant. */
  startAt: number;
}

interface LoadResult {
  requests: number;
  pings: number;
  errors: number;
  statuses: Record<string, number>;
  seconds: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

function percentile(sorted: Float64Array, p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

// ------------------------------------------------------------------------------------------------ load generator

async function runLoad(job: LoadJob): Promise<LoadResult> {
  const pool = new Pool(job.base, { connections: job.connections, pipelining: 1, keepAliveTimeout: 30_000 });
  let seq = 0;
  const nextAt = () => new Date(job.startAt + seq++).toISOString();
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  let pings = 0;
  let errors = 0;
  const warmupEnd = performance.now() + job.warmupSeconds * 1000;
  const end = warmupEnd + job.seconds * 1000;
  let measuring = false;
  let measuredFrom = 0;

  const body = (): { path: string; json: string; count: number } => {
    if (job.kind === 'single') {
      const rider = job.riders[seq % job.riders.length]!;
      return {
        path: `/riders/${rider}/location`,
        json: JSON.stringify({ lat: 43.7 + Math.random() * 0.05, lon: 7.4 + Math.random() * 0.05, recorded_at: nextAt(), speed: 5.2, heading: 180, accuracy: 6 }),
        count: 1,
      };
    }
    const pingsOf = Array.from({ length: 1_000 }, () => ({
      rider_id: job.riders[seq % job.riders.length]!,
      lat: 43.7 + Math.random() * 0.05,
      lon: 7.4 + Math.random() * 0.05,
      recorded_at: nextAt(),
      speed: 5.2,
    }));
    return { path: '/riders/locations', json: JSON.stringify({ pings: pingsOf }), count: 1_000 };
  };

  const user = async () => {
    while (performance.now() < end) {
      const { path, json, count } = body();
      const started = performance.now();
      try {
        const res = await pool.request({ method: 'POST', path, headers: { 'content-type': 'application/json' }, body: json });
        await res.body.dump();
        const elapsed = performance.now() - started;
        if (!measuring && started >= warmupEnd) {
          measuring = true;
          measuredFrom = started;
        }
        if (started >= warmupEnd) {
          statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
          if (res.statusCode === 202) {
            latencies.push(elapsed);
            pings += count;
          } else errors++;
        }
      } catch {
        if (started >= warmupEnd) errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: job.connections }, user));
  const seconds = (performance.now() - measuredFrom) / 1000;
  await pool.close();
  const sorted = Float64Array.from(latencies).sort();
  return {
    requests: latencies.length,
    pings,
    errors,
    statuses,
    seconds,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length ? sorted[sorted.length - 1]! : NaN,
  };
}

if (!isMainThread) {
  const job = workerData as LoadJob;
  parentPort!.postMessage(await runLoad(job));
}

function inWorker(job: LoadJob): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    // Node 20 does not carry tsx's loader into worker threads: register it there first, then load this file.
    const bootstrap = `import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(import.meta.url)}); })`;
    const worker = new Worker(bootstrap, { eval: true, workerData: job });
    worker.once('message', (result: LoadResult) => resolve(result));
    worker.once('error', reject);
  });
}

// ------------------------------------------------------------------------------------------------------- main

async function main(): Promise<void> {
  const seconds = env('BENCH_SECONDS', 10);
  const singleConnections = env('BENCH_SINGLE_CONNECTIONS', 64);
  const bulkConnections = env('BENCH_BULK_CONNECTIONS', 4);
  const riderCount = 10_000;

  const testDb = await createTestDatabase('bench_telemetry');
  const redis = await createTestRedis();
  const topicPrefix = `${uniqueTopic('bench-telemetry')}.`;
  const config = realServersConfig({ databaseUrl: testDb.url, redisPrefix: redis.prefix, topicPrefix }, { LOG_LEVEL: 'error' });
  const api = await composeApi(config, silentLogger);
  const { port } = await api.start();
  const base = `http://127.0.0.1:${port}`;
  const db = createDatabase(testDb.url);
  const lines: string[] = [];
  try {
    const riders = Array.from({ length: riderCount }, () => randomUUID());
    await sql`INSERT INTO riders (id, name) SELECT id, 'bench rider' FROM unnest(${riders}::uuid[]) AS id`.execute(db.db);
    const startAt = Date.now() - 4 * 3_600_000;
    // Riders ping continuously in production, so the API's known-riders cache is warm: warm it (and the geo store)
    // with one bulk post per 1 000 riders, older than every measured ping.
    for (let i = 0; i < riderCount; i += 1_000) {
      const pings = riders.slice(i, i + 1_000).map((rider_id) => ({ rider_id, lat: 43.7, lon: 7.4, recorded_at: new Date(startAt - 2 * 3_600_000).toISOString() }));
      const res = await fetch(`${base}/riders/locations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ pings }) });
      if (res.status !== 202) throw new Error(`warm-up post answered ${res.status}: ${await res.text()}`);
    }

    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    // Light load first (latency when the API is not saturated), then the throughput run.
    const cpuBefore0 = process.cpuUsage();
    const light = await inWorker({ kind: 'single', base, riders, connections: 4, seconds, warmupSeconds: 2, startAt: startAt - 3_600_000 });
    const cpuLight = process.cpuUsage(cpuBefore0);
    console.log('single light', light);
    const cpuBefore = process.cpuUsage();
    const single = await inWorker({ kind: 'single', base, riders, connections: singleConnections, seconds, warmupSeconds: 2, startAt });
    const cpuSingle = process.cpuUsage(cpuBefore);
    console.log('single', single);
    const cpuBefore2 = process.cpuUsage();
    const bulk = await inWorker({ kind: 'bulk', base, riders, connections: bulkConnections, seconds, warmupSeconds: 2, startAt: startAt + 2 * 3_600_000 });
    const cpuBulk = process.cpuUsage(cpuBefore2);
    console.log('bulk', bulk);
    loopDelay.disable();

    // History: everything the ingest published (warm-up included) is in Kafka. Drain it twice from the start of the
    // topic, under two consumer groups: with the bus-level batch subscription (what the worker runs), then with the
    // per-message subscription (the bus hides `subscribeBatch`), bounded to 20 s, into an emptied table.
    const workerBus = createEventBus(config, silentLogger).bus;
    const drain = async (bus: EventBus, group: string, maxSeconds: number) => {
      await sql`TRUNCATE rider_locations`.execute(db.db);
      const drainStart = performance.now();
      const history = await startHistoryConsumer({ db: db.db, bus, logger: silentLogger, consume: config.bus, group, batch: { maxRows: config.telemetry.historyBatchRows, lingerMs: config.telemetry.historyLingerMs } });
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

    const f = (v: number, d = 1) => v.toFixed(d);
    const delay = `API event-loop delay over both scenarios: p50 ${f(loopDelay.percentile(50) / 1e6)} ms, p99 ${f(loopDelay.percentile(99) / 1e6)} ms, max ${f(loopDelay.max / 1e6)} ms.`;
    const cpu = (u: NodeJS.CpuUsage, s: number) => `${f((u.user + u.system) / 1e6 / s / 1, 2)} cores`;
    lines.push(
      `Measured ${new Date().toISOString()} on ${cpus().length} × ${cpus()[0]?.model.trim()} (load avg ${loadavg().map((l) => l.toFixed(2)).join(' ')}); API (1 process, main thread) + load generator (worker thread, undici) + Postgres + Redis + Kafka all on this machine. ${seconds} s measured after 2 s warm-up per scenario; 10 000 riders.`,
      '',
      '| scenario | connections | requests/s | pings/s | p50 ms | p90 ms | p99 ms | max ms | non-202 / errors | API process CPU |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      `| single ping \`POST /riders/{id}/location\` | 4 | ${f(light.requests / light.seconds, 0)} | ${f(light.pings / light.seconds, 0)} | ${f(light.p50, 2)} | ${f(light.p90, 2)} | ${f(light.p99, 2)} | ${f(light.max, 1)} | ${light.errors} | ${cpu(cpuLight, seconds + 2)} |`,
      `| single ping \`POST /riders/{id}/location\` | ${singleConnections} | ${f(single.requests / single.seconds, 0)} | ${f(single.pings / single.seconds, 0)} | ${f(single.p50, 2)} | ${f(single.p90, 2)} | ${f(single.p99, 2)} | ${f(single.max, 1)} | ${single.errors} | ${cpu(cpuSingle, seconds + 2)} |`,
      `| bulk \`POST /riders/locations\` (1 000 pings) | ${bulkConnections} | ${f(bulk.requests / bulk.seconds, 1)} | ${f(bulk.pings / bulk.seconds, 0)} | ${f(bulk.p50, 1)} | ${f(bulk.p90, 1)} | ${f(bulk.p99, 1)} | ${f(bulk.max, 1)} | ${bulk.errors} | ${cpu(cpuBulk, seconds + 2)} |`,
      '',
      delay,
      '',
      'History drain (Kafka `rider.location` → Postgres `rider_locations`, started after the ingest, each from the start of the topic into an emptied table):',
      '',
      '| consumption | rows | seconds | rows/s | INSERTs | mean rows / INSERT | max |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...([['bus-level batches (`subscribeBatch`, what the worker runs)', batched], ['per message (`subscribe`, one in flight per partition; stopped after 20 s)', perMessage]] as const).map(
        ([name, d]) => `| ${name} | ${d.rows} | ${f(d.drainSeconds)} | ${f(d.rows / Math.max(d.drainSeconds, 0.001), 0)} | ${d.stats.batches} | ${f(d.stats.rows / Math.max(1, d.stats.batches), 1)} | ${d.stats.maxBatch} |`,
      ),
    );
  } finally {
    await api.cleanup();
    await db.close();
    await redis.cleanup();
    await testDb.drop();
    const topics = (await listTopics()).filter((t) => t.startsWith(topicPrefix));
    await deleteTopics(topics).catch(() => undefined);
  }
  await writeResultSection('ingest', lines.join('\n'));
  console.log(lines.join('\n'));
}

if (isMainThread) {
  await main();
  process.exit(0);
}
