/**
 * Dispatch benchmark against the real servers (Postgres, Redis, Kafka from `scripts/infra.sh up`), 127.0.0.1 only:
 *
 *  1. POST /orders throughput and latency (target ≥ 1,000 orders/s with P99 < 25 ms), while the worker batches them.
 *  2. Order ready → rider assigned latency (target P99 < 500 ms with riders available): the server-side interval
 *     `batches.assigned_at − orders.ready_marked_at`, i.e. API transaction → outbox → Kafka `order.ready` → the worker's
 *     scope round (snapshot, dispatch core: seal, stop order, matching; rider claim and commit in one transaction).
 *
 * `--workers N` (default 1) runs N worker processes in one consumer group: Kafka splits the store partitions between them.
 *
 * The API runs as its own process (`npm run api`: apps/api/main.ts, `--api-workers N` sets API_WORKERS for node:cluster),
 * so this process is only the load generator (undici, keep-alive); the worker runs as its own process
 * (`tsx apps/worker/main.ts`), as in production. Fresh database, own Redis key prefix
 * and Kafka topic prefix; everything is dropped at the end. Bounded loops only.
 *
 * Run: npx tsx bench/dispatch.bench.ts   (writes bench/results/dispatch.md)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { Pool } from 'undici';
import { offset } from '../internal/pipeline/test-fixtures.ts';
import { startDispatchStack, type DispatchStack } from '../tests/support/dispatch-stack.ts';

/** `--ready-only` skips part 1 (a quicker look at the ready → assigned path). */
const READY_ONLY = process.argv.includes('--ready-only');
const ORDERS_WARMUP = READY_ONLY ? 0 : 300;
const argValue = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
/** `--orders N`: orders per POST /orders run (default 6000). `--partitions N`: KAFKA_PARTITIONS (default 3). */
const ORDERS_MEASURED = READY_ONLY ? 0 : Math.min(50_000, Number(argValue('--orders') ?? 6_000));
const PARTITIONS = Math.min(64, Number(argValue('--partitions') ?? 3));
const WORKERS = Math.min(4, Math.max(1, Number(argValue('--workers') ?? 1)));
/** `--out FILE`: where the report goes (default bench/results/dispatch.md). */
const OUT = argValue('--out') ?? 'results/dispatch.md';
/** `--api-workers N`: API_WORKERS of the API process (default 1). */
const API_WORKERS = Math.min(8, Math.max(1, Number(argValue('--api-workers') ?? 1)));
/** `--orders-only`: part 1a only (POST /orders, API alone), no report; a quick look while tuning. */
const ORDERS_ONLY = process.argv.includes('--orders-only');
const ORDER_CONCURRENCY = 32;
const ORDER_STORES = 20;
const READY_STORES = 10;
const RIDERS_PER_READY_STORE = 12;
const READY_TRIALS = 200;
const READY_STREAMS = 5;

const root = fileURLToPath(new URL('..', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function summary(values: number[]): { n: number; p50: number; p90: number; p99: number; max: number; mean: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    n: sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1]!,
    mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
  };
}

async function startWorkerProcess(env: Record<string, string>): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/worker/main.ts'], {
    cwd: root,
    env: { ...process.env, ...env, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return child;
}

async function stopWorkerProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(30_000)]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

async function postJson(pool: Pool, path: string, body: unknown): Promise<{ status: number; json: any }> {
  const res = await pool.request({ method: 'POST', path, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const text = await res.body.text();
  return { status: res.statusCode, json: text ? JSON.parse(text) : undefined };
}

type OrderStats = ReturnType<typeof summary> & { rps: number; errors: number; elapsedS: number };

/** `count` POST /orders with ORDER_CONCURRENCY in flight; every latency kept. */
async function postOrders(pool: Pool, count: number, body: () => unknown): Promise<OrderStats> {
  const latencies: number[] = [];
  let errors = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: ORDER_CONCURRENCY }, async () => {
      while (next++ < count) {
        const b = body();
        const t0 = performance.now();
        const res = await postJson(pool, '/orders', b).catch(() => ({ status: 0, json: undefined }));
        latencies.push(performance.now() - t0);
        if (res.status !== 201) errors++;
      }
    }),
  );
  const elapsedS = (performance.now() - started) / 1000;
  return { ...summary(latencies), rps: count / elapsedS, errors, elapsedS };
}

/** Offered load of the paced runs: the issue's target rate. */
const PACED_RATE = Number(argValue('--rate') ?? 1_000);

/**
 * Open loop: `count` POST /orders sent on a fixed schedule of `rate` per second, whatever the answers do (up to the
 * pool's ORDER_CONCURRENCY connections; undici queues the rest). Latency counts from the SCHEDULED send time, so a
 * stalled server is charged for the requests it delayed (no coordinated omission). "≥ 1,000 orders/s with P99 < 25 ms"
 * is this measure at 1,000/s; the closed-loop run (32 always in flight) shows the ceiling instead, where by Little's
 * law latency ≈ 32 / throughput.
 */
async function pacedOrders(pool: Pool, count: number, rate: number, body: () => unknown): Promise<OrderStats> {
  const latencies: number[] = [];
  let errors = 0;
  const inFlight: Promise<void>[] = [];
  const started = performance.now();
  let sent = 0;
  while (sent < count) {
    const due = Math.min(count, Math.floor(((performance.now() - started) / 1000) * rate) + 1);
    for (; sent < due; sent++) {
      const scheduled = started + (sent * 1000) / rate;
      inFlight.push(
        postJson(pool, '/orders', body())
          .catch(() => ({ status: 0, json: undefined }))
          .then((res) => {
            latencies.push(performance.now() - scheduled);
            if (res.status !== 201) errors++;
          }),
      );
    }
    await sleep(1);
  }
  await Promise.all(inFlight);
  const elapsedS = (performance.now() - started) / 1000;
  return { ...summary(latencies), rps: count / elapsedS, errors, elapsedS };
}

/** Waits (bounded) until `total` orders are in batches; answers the seconds waited and the count reached. */
async function drain(stack: DispatchStack, total: number): Promise<{ seconds: number; batched: number }> {
  const started = performance.now();
  let batched = 0;
  for (let i = 0; i < 2_400; i++) {
    batched = Number((await stack.database.db.selectFrom('batch_orders').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    if (batched >= total) break;
    await sleep(250);
  }
  return { seconds: (performance.now() - started) / 1000, batched };
}

async function main(): Promise<void> {
  const stack: DispatchStack = await startDispatchStack({
    name: 'bench_dispatch',
    inProcessWorker: false,
    apiProcess: { workers: API_WORKERS },
    env: { KAFKA_PARTITIONS: String(PARTITIONS) },
  });
  const pool = new Pool(stack.baseUrl, { connections: ORDER_CONCURRENCY });
  const workers: ChildProcess[] = [];
  try {
    const centre = { lat: 52.52, lon: 13.405 };
    const stores: Array<{ id: string; at: { lat: number; lon: number } }> = [];
    for (let s = 0; s < ORDER_STORES; s++) {
      const at = offset(centre, (s % 5) * 3_000 - 6_000, Math.floor(s / 5) * 3_000 - 4_500);
      stores.push({ id: (await postJson(pool, '/stores', { name: `store ${s}`, ...at })).json.id as string, at });
    }
    let seq = 0;
    const orderBody = () => {
      const i = seq++;
      const store = stores[i % stores.length]!;
      return {
        store_id: store.id,
        drop: offset(store.at, 600 + ((i * 37) % 1_500), ((i * 53) % 2_000) - 1_000),
        items: [{ name: 'bench bowl', qty: 1 + (i % 3) }],
        prep_minutes: 20,
      };
    };

    // ------------------------------------------------------------ 1a. POST /orders, API alone (no worker running yet)
    let alone: OrderStats | undefined;
    let alonePaced: OrderStats | undefined;
    let withWorkerPaced: OrderStats | undefined;
    if (!READY_ONLY) {
      for (let i = 0; i < ORDERS_WARMUP; i++) {
        const res = await postJson(pool, '/orders', orderBody());
        if (res.status !== 201) throw new Error(`warm-up POST /orders answered ${res.status}: ${JSON.stringify(res.json)}`);
      }
      alone = await postOrders(pool, ORDERS_MEASURED, orderBody);
      console.log('POST /orders, API alone', alone);
      alonePaced = await pacedOrders(pool, ORDERS_MEASURED, PACED_RATE, orderBody);
      console.log(`POST /orders, API alone, paced ${PACED_RATE}/s`, alonePaced);
      if (ORDERS_ONLY) return;
    }

    // The worker process starts with that backlog in the outbox.
    for (let w = 0; w < WORKERS; w++) workers.push(await startWorkerProcess(stack.env));
    const backlogOrders = seq;
    const backlog = await drain(stack, seq);
    if (backlog.batched < seq) throw new Error(`the worker batched only ${backlog.batched} of ${seq} orders`);
    console.log(`worker started and batched the ${seq}-order backlog in ${backlog.seconds.toFixed(1)} s`);

    // ------------------------------------------------------------ 1b. POST /orders while the worker batches them
    let withWorker: OrderStats | undefined;
    let after: { seconds: number; batched: number } | undefined;
    if (!READY_ONLY) {
      withWorker = await postOrders(pool, ORDERS_MEASURED, orderBody);
      console.log('POST /orders, worker running', withWorker);
      withWorkerPaced = await pacedOrders(pool, ORDERS_MEASURED, PACED_RATE, orderBody);
      console.log(`POST /orders, worker running, paced ${PACED_RATE}/s`, withWorkerPaced);
      after = await drain(stack, seq);
      console.log(`worker batched ${after.batched}/${seq} orders ${after.seconds.toFixed(1)} s after the last POST`);
    }

    // ---------------------------------------------------------------------------------- 2. ready → rider assigned
    const readyStores: Array<{ id: string; at: { lat: number; lon: number } }> = [];
    for (let s = 0; s < READY_STORES; s++) {
      const at = offset(centre, 20_000 + (s % 5) * 4_000, (Math.floor(s / 5) - 0.5) * 6_000);
      const id = (await postJson(pool, '/stores', { name: `ready store ${s}`, ...at })).json.id as string;
      readyStores.push({ id, at });
      for (let r = 0; r < RIDERS_PER_READY_STORE; r++) {
        const res = await postJson(pool, '/riders', { name: `rider ${s}.${r}`, status: 'idle', ...offset(at, 150 + r * 70, (r % 4) * 120 - 180) });
        if (res.status !== 201) throw new Error(`POST /riders answered ${res.status}: ${JSON.stringify(res.json)}`);
      }
    }
    const readyLatencies: number[] = [];
    const clientLatencies: number[] = [];
    let readyErrors = 0;
    let trial = 0;
    await Promise.all(
      Array.from({ length: READY_STREAMS }, async (_, stream) => {
        // Each stream owns two stores, so a trial's order is alone in its batch and the batch seals on "ready".
        const mine = readyStores.filter((_, i) => i % READY_STREAMS === stream);
        let k = 0;
        while (trial++ < READY_TRIALS) {
          const store = mine[k++ % mine.length]!;
          const drop = offset(store.at, 900 + (k % 5) * 80, (k % 3) * 150 - 150);
          const placed = await postJson(pool, '/orders', { store_id: store.id, drop, items: [{ name: 'x', qty: 1 }], prep_minutes: 15 });
          const orderId = placed.json.id as string;
          let batchId: string | undefined;
          for (let i = 0; i < 600 && !batchId; i++) {
            batchId = (await stack.database.db.selectFrom('batch_orders').select('batch_id').where('order_id', '=', orderId).executeTakeFirst())?.batch_id;
            if (!batchId) await sleep(20);
          }
          if (!batchId) {
            readyErrors++;
            continue;
          }
          const t0 = performance.now();
          const ready = await postJson(pool, `/orders/${orderId}/ready`, {});
          if (ready.status !== 200) {
            readyErrors++;
            continue;
          }
          let assigned: Date | null = null;
          for (let i = 0; i < 600 && !assigned; i++) {
            assigned = (await stack.database.db.selectFrom('batches').select('assigned_at').where('id', '=', batchId).executeTakeFirstOrThrow()).assigned_at;
            if (!assigned) await sleep(15);
          }
          if (!assigned) {
            readyErrors++;
            continue;
          }
          clientLatencies.push(performance.now() - t0);
          const marked = (await stack.database.db.selectFrom('orders').select('ready_marked_at').where('id', '=', orderId).executeTakeFirstOrThrow()).ready_marked_at!;
          readyLatencies.push(assigned.getTime() - marked.getTime());
          // Free the rider again (pickup + drop), so riders stay available for the next trials.
          const batch = await stack.database.db.selectFrom('batches').select('rider_id').where('id', '=', batchId).executeTakeFirstOrThrow();
          await postJson(pool, `/batches/${batchId}/pickup`, { rider_id: batch.rider_id });
          await postJson(pool, `/batches/${batchId}/confirm-delivery`, { order_id: orderId, rider_id: batch.rider_id, ...drop });
        }
      }),
    );
    // Where the time goes, per hop: ready → sealed (order.ready consumed, the scope's round sealed), sealed → refined and
    // refined → assigned (both within the same round since the dispatch core decides them together).
    const hops = await stack.database.db
      .selectFrom('batches')
      .innerJoin('batch_orders', 'batch_orders.batch_id', 'batches.id')
      .innerJoin('orders', 'orders.id', 'batch_orders.order_id')
      .innerJoin('outbox', (join) => join.onRef(sql`outbox.event->'payload'->>'batchId'`, '=', sql`batches.id::text`).on('outbox.topic', '=', 'routes.refined'))
      .select(['orders.ready_marked_at', 'batches.sealed_at', 'batches.assigned_at', 'outbox.event'])
      .where('batches.store_id', 'in', readyStores.map((st) => st.id))
      .where('batches.assigned_at', 'is not', null)
      .execute();
    const breakdown = {
      readyToSealed: summary(hops.map((h) => h.sealed_at!.getTime() - h.ready_marked_at!.getTime())),
      sealedToRefined: summary(hops.map((h) => Date.parse(h.event.occurredAt) - h.sealed_at!.getTime())),
      refinedToAssigned: summary(hops.map((h) => h.assigned_at!.getTime() - Date.parse(h.event.occurredAt))),
    };
    console.log('breakdown', breakdown);
    const ready = { ...summary(readyLatencies), errors: readyErrors, client: summary(clientLatencies), breakdown };
    console.log('ready → assigned', ready);

    const sizes = await stack.database.db
      .selectFrom('batches')
      .select(['order_count'])
      .execute();
    const multi = sizes.filter((b) => b.order_count >= 2).length;
    if (!alone || !withWorker || !alonePaced || !withWorkerPaced || !after || process.argv.includes('--no-report')) console.log('report not written');
    else await writeReport({ alone, withWorker, alonePaced, withWorkerPaced, backlog: { ...backlog, orders: backlogOrders }, after, total: seq, ready, batches: sizes.length, multi });
  } finally {
    await pool.close();
    await Promise.all(workers.map(stopWorkerProcess));
    await stack.close();
  }
}

async function writeReport(r: {
  alone: OrderStats;
  withWorker: OrderStats;
  alonePaced: OrderStats;
  withWorkerPaced: OrderStats;
  backlog: { seconds: number; orders: number };
  after: { seconds: number; batched: number };
  total: number;
  ready: ReturnType<typeof summary> & { errors: number; client: ReturnType<typeof summary>; breakdown: Record<'readyToSealed' | 'sealedToRefined' | 'refinedToAssigned', ReturnType<typeof summary>> };
  batches: number;
  multi: number;
}): Promise<void> {
  const f = (v: number, d = 1) => v.toFixed(d);
  const cpu = cpus();
  const verdict = (ok: boolean) => (ok ? 'met' : '**not met**');
  // A paced run offers exactly PACED_RATE/s; it sustained the rate when it finished on schedule (within 1 %: the last
  // answers arrive after the last send).
  const row = (label: string, o: OrderStats, paced = false) =>
    `| ${label} | ${f(o.rps, 0)} | ${f(o.p50, 2)} | ${f(o.p90, 2)} | ${f(o.p99, 2)} | ${f(o.max, 2)} | ${o.errors} | ≥ 1,000/s: ${verdict(o.errors === 0 && (paced ? PACED_RATE >= 1000 && o.rps >= PACED_RATE * 0.99 : o.rps >= 1000))}; P99 < 25 ms: ${verdict(o.p99 < 25)} |`;
  const text = `# Dispatch benchmark

Generated by \`npx tsx bench/dispatch.bench.ts\` (bench/dispatch.bench.ts) on ${new Date().toISOString().slice(0, 10)}:
Node ${process.version}, ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, load average ${loadavg().map((l) => l.toFixed(2)).join(' / ')} (1 / 5 / 15 min) at the end.

Real servers on 127.0.0.1: PostgreSQL, Redis, Kafka (one broker, ${PARTITIONS} partitions per topic), straight-line router.
The API runs as its own process, started as \`npm run api\` (apps/api/main.ts) with API_WORKERS=${API_WORKERS}${API_WORKERS > 1 ? ' (node:cluster)' : ''};
the load generator (undici, ${ORDER_CONCURRENCY} keep-alive connections) is the bench process; **${WORKERS} worker process${WORKERS > 1 ? 'es' : ''}** (outbox relay,
dispatch consumers, the per-partition scope rounds of the dispatch core; one consumer group, so Kafka splits the partitions) run beside it, as in production. All of them, Postgres, Redis and Kafka share the same ${cpus().length} cores.
The machine is shared: other suites and processes were running during the measurement (see the load average).

## 1. POST /orders

${ORDERS_MEASURED} orders per row over ${ORDER_STORES} stores (after ${ORDERS_WARMUP} warm-up requests).
"API alone": no worker process yet (the outbox only fills). "worker running": the worker relays, provisions hot paths and
batches at the same time, on the same 2 cores.

| run | orders/s | p50 ms | p90 ms | p99 ms | max ms | errors | target |
|---|---:|---:|---:|---:|---:|---:|---|
${row(`API alone, closed loop (${ORDER_CONCURRENCY} in flight)`, r.alone)}
${row(`API alone, paced ${PACED_RATE}/s (open loop)`, r.alonePaced, true)}
${row(`worker running, closed loop (${ORDER_CONCURRENCY} in flight)`, r.withWorker)}
${row(`worker running, paced ${PACED_RATE}/s (open loop)`, r.withWorkerPaced, true)}

Closed loop: ${ORDER_CONCURRENCY} requests always in flight, so it shows the ceiling, and by Little's law latency ≈ ${ORDER_CONCURRENCY} / throughput
(P99 < 25 ms there would need well over 1,300 orders/s). Paced: requests sent on a fixed ${PACED_RATE}/s schedule whatever the
answers do, latency counted from the scheduled send time (a stall is charged for every request it delays) — the
issue's "≥ 1,000 orders/s with P99 < 25 ms" is this row at 1,000/s (its orders/s falls below the rate when the API cannot keep up).

The worker, started after the first run, batched that backlog of ${r.backlog.orders} orders in ${f(r.backlog.seconds)} s
(${f(r.backlog.orders / r.backlog.seconds, 0)} orders/s end to end: relay → Kafka → path provisioning → batching). After the second
run it needed ${f(r.after.seconds)} s more to batch all ${r.total} orders. ${r.batches} batches in the whole run, ${r.multi} of them with 2+ orders.

## 2. Order ready → rider assigned

${READY_TRIALS} trials, ${READY_STREAMS} at a time, ${READY_STORES} stores with ${RIDERS_PER_READY_STORE} idle riders each. Each trial places an order,
waits until it is batched, then \`POST /orders/{id}/ready\`; the next round of its scope seals the batch (its ready time
has come), orders its stops and commits a rider, in one transaction.
Server-side latency = \`batches.assigned_at − orders.ready_marked_at\` (same clock); the client column adds the HTTP
round trip and the 15 ms polling of the database.

| measure | n | p50 ms | p90 ms | p99 ms | max ms | errors | target |
|---|---:|---:|---:|---:|---:|---:|---|
| server: ready_marked_at → assigned_at | ${r.ready.n} | ${f(r.ready.p50)} | ${f(r.ready.p90)} | ${f(r.ready.p99)} | ${f(r.ready.max)} | ${r.ready.errors} | P99 < 500 ms: ${verdict(r.ready.p99 < 500)} |
| client: POST ready → assigned seen | ${r.ready.client.n} | ${f(r.ready.client.p50)} | ${f(r.ready.client.p90)} | ${f(r.ready.client.p99)} | ${f(r.ready.client.max)} | | |
| hop: ready_marked_at → sealed_at | ${r.ready.breakdown.readyToSealed.n} | ${f(r.ready.breakdown.readyToSealed.p50)} | ${f(r.ready.breakdown.readyToSealed.p90)} | ${f(r.ready.breakdown.readyToSealed.p99)} | ${f(r.ready.breakdown.readyToSealed.max)} | | |
| hop: sealed_at → routes.refined | ${r.ready.breakdown.sealedToRefined.n} | ${f(r.ready.breakdown.sealedToRefined.p50)} | ${f(r.ready.breakdown.sealedToRefined.p90)} | ${f(r.ready.breakdown.sealedToRefined.p99)} | ${f(r.ready.breakdown.sealedToRefined.max)} | | |
| hop: routes.refined → assigned_at | ${r.ready.breakdown.refinedToAssigned.n} | ${f(r.ready.breakdown.refinedToAssigned.p50)} | ${f(r.ready.breakdown.refinedToAssigned.p90)} | ${f(r.ready.breakdown.refinedToAssigned.p99)} | ${f(r.ready.breakdown.refinedToAssigned.max)} | | |

The path crosses Kafka once (order.ready, which pokes the store's scope): an outbox commit, the relay's publish (acks=all)
and a consumer fetch; seal, stop order (routes.refined) and the rider claim then commit together in one round.
`;
  await mkdir(new URL('results/', import.meta.url), { recursive: true });
  await writeFile(new URL(OUT, import.meta.url), text);
  console.log(text);
}

await main();
