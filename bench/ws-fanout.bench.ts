/**
 * WebSocket fan-out benchmark: GPS post → WebSocket receipt latency with 10 000 subscribed clients.
 *
 * The API runs in this process exactly as `npm run api` composes it (Redis live feed, Kafka, Postgres on 127.0.0.1).
 * A child process (this file with `--clients`) opens the WebSocket clients and also posts the pings, so send and
 * receive times come from one clock (`performance.now()`): latency = receipt of the frame − start of the POST that
 * carried the ping (HTTP + geo store + Kafka publish, live feed through Redis pub/sub, hub, socket).
 *
 * Scenarios:
 *  1. per-rider: every client subscribes to its own `rider:{id}` (a customer following an order); pings at a fixed
 *     rate to random riders — each ping reaches one client.
 *  2. broadcast: every client also subscribes to `map`; a few pings per second — each ping reaches all 10 000.
 * Bounded in time, stops by itself; fresh database, unique Redis prefix and Kafka topic prefix, removed afterwards.
 *
 * Run: npm run bench:ws   (writes its section of bench/results/telemetry.md)
 * Knobs (env): BENCH_WS_CLIENTS (10 000), BENCH_WS_RATE (pings/s in scenario 1, default 200), BENCH_SECONDS (10),
 * BENCH_WS_BROADCAST_RATE (pings/s in scenario 2, default 2).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { Pool } from 'undici';
import { WebSocket } from 'ws';
import { composeApi } from '../apps/api/compose.ts';
import { createDatabase } from '../internal/db/database.ts';
import { createLogger } from '../internal/platform/logger.ts';
import { deleteTopics, listTopics, uniqueTopic } from '../tests/support/kafka.ts';
import { createTestDatabase } from '../tests/support/postgres.ts';
import { createTestRedis } from '../tests/support/redis.ts';
import { writeResultSection } from './telemetry-results.ts';
import { realServersConfig, TEST_OPERATOR_AUTH, TEST_OPERATOR_KEY } from '../tests/support/real-servers-env.ts';

interface ClientJob {
  host: string;
  /** The API's operator key (the parent's TEST_OPERATOR_KEY: this child would mint another). */
  operatorKey: string;
  riders: string[];
  rate: number;
  seconds: number;
  broadcastRate: number;
  broadcastSeconds: number;
}

interface Summary {
  sent: number;
  postErrors: number;
  received: number;
  expected: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

interface ClientReport {
  connectSeconds: number;
  connected: number;
  perRider: Summary;
  broadcast: Summary;
  perRiderFanout: Summary;
  broadcastFanout: Summary;
}

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function summarise(latencies: number[], sent: number, postErrors: number, expected: number): Summary {
  const sorted = Float64Array.from(latencies).sort();
  const at = (p: number) =>
    sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN;
  return {
    sent,
    postErrors,
    received: sorted.length,
    expected,
    p50: at(50),
    p90: at(90),
    p99: at(99),
    max: sorted.length ? sorted[sorted.length - 1]! : NaN,
  };
}

// ------------------------------------------------------------------------------------------------- client side

async function runClients(job: ClientJob): Promise<ClientReport> {
  const url = `ws://${job.host}/ws?token=${job.operatorKey}`;
  const sentAt = new Map<string, number>();
  let phase: 'rider' | 'map' = 'rider';
  const riderLatencies: number[] = [];
  const mapLatencies: number[] = [];
  /** From the API's receipt of the POST (`at`, ms resolution) to the frame's arrival: the fan-out part alone. */
  const riderFanout: number[] = [];
  const mapFanout: number[] = [];
  const sockets: WebSocket[] = [];

  const onFrame = (raw: WebSocket.RawData) => {
    const now = performance.now();
    const frame = JSON.parse(raw.toString()) as {
      type: string;
      channel: string;
      at: string;
      data?: { riderId: string; recordedAt: string };
    };
    if (frame.type !== 'rider.location' || !frame.data) return;
    const t0 = sentAt.get(`${frame.data.riderId}|${frame.data.recordedAt}`);
    if (t0 === undefined) return;
    const fanout = performance.timeOrigin + now - Date.parse(frame.at);
    if (frame.channel === 'map') {
      mapLatencies.push(now - t0);
      mapFanout.push(fanout);
    } else if (phase === 'rider') {
      riderLatencies.push(now - t0);
      riderFanout.push(fanout);
    }
  };

  const subscribeAll = async (channelOf: (i: number) => string) => {
    let acked = 0;
    await Promise.all(
      sockets.map(
        (socket, i) =>
          new Promise<void>((resolve) => {
            const channel = channelOf(i);
            const onAck = (raw: WebSocket.RawData) => {
              const f = JSON.parse(raw.toString()) as { type: string; channel: string; message?: string };
              if ((f.type === 'subscribed' || f.type === 'error') && f.channel === channel) {
                socket.off('message', onAck);
                if (f.type === 'subscribed') acked++;
                else console.error(`subscribe ${channel} failed: ${f.message}`);
                resolve();
              }
            };
            socket.on('message', onAck);
            socket.send(JSON.stringify({ type: 'subscribe', channel }));
          }),
      ),
    );
    return acked;
  };

  // Connect in waves, so the API's accept queue is not flooded.
  const connectStart = performance.now();
  for (let i = 0; i < job.riders.length; i += 500) {
    const wave = job.riders.slice(i, i + 500).map(
      () =>
        new Promise<WebSocket>((resolve, reject) => {
          const socket = new WebSocket(url, { perMessageDeflate: false });
          socket.once('open', () => resolve(socket));
          socket.once('error', reject);
        }),
    );
    sockets.push(...(await Promise.all(wave)));
  }
  for (const s of sockets) s.on('message', onFrame);
  const subscribed = await subscribeAll((i) => `rider:${job.riders[i]}`);
  console.error(
    `clients: ${sockets.length} connected, ${subscribed} subscribed in ${((performance.now() - connectStart) / 1000).toFixed(1)} s`,
  );
  const connectSeconds = (performance.now() - connectStart) / 1000;

  const pool = new Pool(`http://${job.host}`, { connections: 32, pipelining: 1 });
  let seq = 0;
  const post = async (riderId: string): Promise<boolean> => {
    const recordedAt = new Date(Date.now() - 600_000 + seq++).toISOString();
    const started = performance.now();
    sentAt.set(`${riderId}|${recordedAt}`, started);
    try {
      const res = await pool.request({
        method: 'POST',
        path: `/riders/${riderId}/location`,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${job.operatorKey}` },
        body: JSON.stringify({ lat: 43.7 + Math.random() * 0.01, lon: 7.42, recorded_at: recordedAt }),
      });
      await res.body.dump();
      return res.statusCode === 202;
    } catch {
      return false;
    }
  };

  /** Posts `rate` pings/s for `seconds`, in 10 ms ticks. */
  const drive = async (rate: number, seconds: number): Promise<{ sent: number; errors: number }> => {
    let sent = 0;
    let errors = 0;
    const inFlight = new Set<Promise<void>>();
    const start = performance.now();
    while (performance.now() - start < seconds * 1000) {
      const due = Math.floor(((performance.now() - start) / 1000) * rate) - sent;
      for (let k = 0; k < due; k++) {
        const rider = job.riders[Math.floor(Math.random() * job.riders.length)]!;
        sent++;
        const p = post(rider).then((ok) => void (ok || errors++));
        inFlight.add(p);
        void p.finally(() => inFlight.delete(p));
      }
      await sleep(Math.max(1, Math.min(10, 1000 / rate)));
    }
    await Promise.all(inFlight);
    return { sent, errors };
  };

  const one = await drive(job.rate, job.seconds);
  await sleep(1_000);
  const perRider = summarise(riderLatencies, one.sent, one.errors, one.sent - one.errors);

  phase = 'map';
  await subscribeAll(() => 'map');
  const two = await drive(job.broadcastRate, job.broadcastSeconds);
  await sleep(3_000);
  const broadcast = summarise(mapLatencies, two.sent, two.errors, (two.sent - two.errors) * sockets.length);

  await pool.close();
  for (const s of sockets) s.terminate();
  return {
    connectSeconds,
    connected: sockets.length,
    perRider,
    broadcast,
    perRiderFanout: summarise(riderFanout, one.sent, one.errors, perRider.expected),
    broadcastFanout: summarise(mapFanout, two.sent, two.errors, broadcast.expected),
  };
}

if (process.argv.includes('--clients')) {
  process.once('message', (job: ClientJob) => {
    runClients(job).then(
      (report) => process.send!(report, () => process.exit(0)),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  });
}

// --------------------------------------------------------------------------------------------------- main side

async function main(): Promise<void> {
  const clients = env('BENCH_WS_CLIENTS', 10_000);
  const rate = env('BENCH_WS_RATE', 200);
  const seconds = env('BENCH_SECONDS', 10);
  const broadcastRate = env('BENCH_WS_BROADCAST_RATE', 2);
  const testDb = await createTestDatabase('bench_ws');
  const redis = await createTestRedis();
  const topicPrefix = `${uniqueTopic('bench-ws')}.`;
  const config = realServersConfig(
    { databaseUrl: testDb.url, redisPrefix: redis.prefix, topicPrefix },
    { LOG_LEVEL: 'error' },
  );
  const api = await composeApi(config, createLogger('error', 'bench-api'));
  const { port } = await api.start();
  const db = createDatabase(testDb.url);
  let child: ChildProcess | undefined;
  const lines: string[] = [];
  try {
    const riders = Array.from({ length: clients }, () => randomUUID());
    await sql`INSERT INTO riders (id, name) SELECT id, 'bench rider' FROM unnest(${riders}::uuid[]) AS id`.execute(
      db.db,
    );
    // Riders ping continuously in production: the API's known-riders cache and the geo store are warm. Warm them
    // with one bulk post per 1 000 riders, older than every measured ping (so those stay newer and are published).
    for (let i = 0; i < riders.length; i += 1_000) {
      const pings = riders.slice(i, i + 1_000).map((rider_id) => ({
        rider_id,
        lat: 43.7,
        lon: 7.42,
        recorded_at: new Date(Date.now() - 3_600_000).toISOString(),
      }));
      const res = await fetch(`http://127.0.0.1:${port}/riders/locations`, {
        method: 'POST',
        headers: { ...TEST_OPERATOR_AUTH, 'content-type': 'application/json' },
        body: JSON.stringify({ pings }),
      });
      if (res.status !== 202) throw new Error(`warm-up post answered ${res.status}`);
    }
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    child = fork(fileURLToPath(import.meta.url), ['--clients'], { execArgv: process.execArgv, stdio: 'inherit' });
    const report = await new Promise<ClientReport>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('client process did not report within 10 minutes')), 600_000);
      child!.once('message', (m: ClientReport) => {
        clearTimeout(timer);
        resolve(m);
      });
      child!.once('exit', (code) => code !== 0 && reject(new Error(`client process exited ${code}`)));
      child!.send({
        host: `127.0.0.1:${port}`,
        operatorKey: TEST_OPERATOR_KEY,
        riders,
        rate,
        seconds,
        broadcastRate,
        broadcastSeconds: Math.min(seconds, 5),
      } satisfies ClientJob);
    });
    const cpu = process.cpuUsage(cpuBefore);
    const wall = (performance.now() - started) / 1000;
    loopDelay.disable();
    const delay = {
      p50: loopDelay.percentile(50) / 1e6,
      p99: loopDelay.percentile(99) / 1e6,
      max: loopDelay.max / 1e6,
    };
    console.log(JSON.stringify(report, null, 2));
    const f = (v: number, d = 1) => (Number.isFinite(v) ? v.toFixed(d) : 'n/a');
    const row = (name: string, s: Summary, r: number) =>
      `| ${name} | ${r} | ${s.sent} (${s.postErrors} failed) | ${s.received} / ${s.expected} | ${f(s.p50, 2)} | ${f(s.p90, 2)} | ${f(s.p99, 2)} | ${f(s.max, 1)} |`;
    lines.push(
      `Measured ${new Date().toISOString()} on ${cpus().length} × ${cpus()[0]?.model.trim()} (load avg ${loadavg()
        .map((l) => l.toFixed(2))
        .join(
          ' ',
        )}); API in one process, ${report.connected} WebSocket clients + the poster in a second process, Redis/Kafka/Postgres local. Connecting and subscribing the clients took ${f(report.connectSeconds)} s. API process CPU over the run: ${f((cpu.user + cpu.system) / 1e6 / wall, 2)} cores; its event-loop delay p50 ${f(delay.p50)} ms, p99 ${f(delay.p99)} ms, max ${f(delay.max)} ms.`,
      '',
      '| scenario | pings/s | pings posted | frames received / expected | p50 ms | p90 ms | p99 ms | max ms |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      row(`per-rider: each client on its own \`rider:{id}\` (${seconds} s)`, report.perRider, rate),
      row(`broadcast: all clients on \`map\` (${Math.min(seconds, 5)} s)`, report.broadcast, broadcastRate),
      '',
      "The fan-out part alone — from the API receiving the POST (the frame's `at`, millisecond resolution) to the frame's arrival; the rest of the end-to-end time is the HTTP request reaching the API:",
      '',
      '| scenario | p50 ms | p90 ms | p99 ms | max ms |',
      '| --- | ---: | ---: | ---: | ---: |',
      `| per-rider | ${f(report.perRiderFanout.p50, 2)} | ${f(report.perRiderFanout.p90, 2)} | ${f(report.perRiderFanout.p99, 2)} | ${f(report.perRiderFanout.max, 1)} |`,
      `| broadcast | ${f(report.broadcastFanout.p50, 2)} | ${f(report.broadcastFanout.p90, 2)} | ${f(report.broadcastFanout.p99, 2)} | ${f(report.broadcastFanout.max, 1)} |`,
    );
  } finally {
    child?.kill();
    await api.cleanup();
    await db.close();
    await redis.cleanup();
    await testDb.drop();
    const topics = (await listTopics()).filter((t) => t.startsWith(topicPrefix));
    await deleteTopics(topics).catch(() => undefined);
  }
  await writeResultSection('ws', lines.join('\n'));
  console.log(lines.join('\n'));
}

if (!process.argv.includes('--clients')) {
  await main();
  process.exit(0);
}
