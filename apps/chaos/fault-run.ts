/**
 * The fault run (issue 13 item 6): the distributed stack on servers of its own, a dinner rush, five faults in turn,
 * a drain, and the audit from Postgres. `runFaultRun` returns the result; apps/chaos/main.ts renders and judges it.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { PROJECT_ROOT } from '../../internal/platform/project-root.ts';
import { readFile, rm } from 'node:fs/promises';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { appProcess, closeAll, nodeArgs, type AppProcess, type Runtime, type UnexpectedExit } from './app-process.ts';
import { auditRun, openOrders, ordersByStatus, ordersWaitingForRider } from './audit.ts';
import { chaosApi, probeRecovery, type ChaosApi, type Recovery } from './probe.ts';
import { seconds, type ChaosResult, type FaultResult, type TimelineEntry } from './report.ts';
import { ensureKafkaJars, kafkaServer, openRunDir, postgresServer, redisServer, type ChaosServer } from './servers.ts';

/** How big and how long a run is. `--short` is the CI variant. */
export interface FaultRunPlan {
  mode: 'full' | 'short';
  riders: number;
  stores: number;
  /** Simulated seconds per wall-clock second. */
  speed: number;
  /** Share of the riders' time the sized demand keeps busy outside the rush (the rush triples it). */
  utilisation: number;
  /** Demand before the first fault, ms. */
  warmUpMs: number;
  /** Demand between the recovery of one fault and the next fault, ms. */
  settleMs: number;
  /** How long a dependency stays down before it is started again (Redis, Postgres), ms. */
  outageMs: number;
  /** Longest wait for orders to flow again after one fault, ms. */
  recoveryTimeoutMs: number;
  /** Longest drain, ms. */
  drainTimeoutMs: number;
  /**
   * Budget of everything before the drain (start-up, warm-up, the faults); past it the remaining faults are skipped and
   * the run fails. The whole run takes at most about this + one recovery timeout + the drain deadline + tear-down.
   */
  budgetMs: number;
  seed: number;
  /** How the deliverygo processes run (see app-process.ts); `dist` needs a fresh `npm run build`. */
  runtime: Runtime;
}

export const FULL_PLAN: FaultRunPlan = {
  mode: 'full',
  riders: 25,
  stores: 5,
  speed: 20,
  utilisation: 0.2,
  warmUpMs: 30_000,
  settleMs: 15_000,
  outageMs: 8_000,
  recoveryTimeoutMs: 150_000,
  // The rush leaves a queue (40+ orders waiting for a rider at the last fault): measured drains took 85–146 s.
  drainTimeoutMs: 300_000,
  budgetMs: 10 * 60_000,
  seed: 13,
  runtime: 'dist',
};

export const SHORT_PLAN: FaultRunPlan = {
  ...FULL_PLAN,
  mode: 'short',
  riders: 12,
  stores: 3,
  warmUpMs: 12_000,
  settleMs: 5_000,
  outageMs: 4_000,
  recoveryTimeoutMs: 120_000,
  drainTimeoutMs: 240_000, // measured: 94 s and 120 s for 22 queued orders and 12 riders
  // CI shares two cores with the other integration suites: generous; the run ends as soon as it is done anyway.
  budgetMs: 12 * 60_000,
};

export interface FaultRunIo {
  /** One progress line (stderr in the CLI). */
  log(line: string): void;
  /** Keep the run directory (logs, data) even when the run passed. */
  keep?: boolean;
}

const execFileAsync = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** `dgo_op_` + 32 random bytes base64url: an operator key as the auth contract defines it. */
export function newOperatorKey(): string {
  return `dgo_op_${randomBytes(32).toString('base64url')}`;
}

const httpAnswers = async (url: string, ok: (status: number) => boolean = () => true): Promise<boolean> => {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    await res.body?.cancel();
    return ok(res.status);
  } catch {
    return false;
  }
};

/** Runs the plan; never throws (a failure is in `aborted`). The caller renders and judges the result. */
export async function runFaultRun(plan: FaultRunPlan, io: FaultRunIo): Promise<ChaosResult & { runDir: string }> {
  const started = Date.now();
  const at = () => Date.now() - started;
  const budgetEnd = started + plan.budgetMs;
  const log = (line: string) => io.log(`[chaos ${(at() / 1_000).toFixed(1).padStart(6)} s] ${line}`);
  const timeline: TimelineEntry[] = [];
  const event = (text: string) => {
    timeline.push({ atMs: at(), event: text });
    log(text);
  };
  const unexpectedExits: UnexpectedExit[] = [];
  const faults: FaultResult[] = [];
  const runDir = await mkdtemp(join(tmpdir(), 'deliverygo-chaos-'));
  await openRunDir(runDir);
  const result: ChaosResult & { runDir: string } = {
    mode: plan.mode,
    startedAt: new Date(started).toISOString(),
    durationMs: 0,
    setup: {},
    simulator: null,
    probesAccepted: 0,
    baseline: null,
    faults,
    unexpectedExits,
    drain: null,
    audit: null,
    timeline,
    runDir,
  };
  const servers: ChaosServer[] = [];
  const apps: AppProcess[] = [];
  let sampler: NodeJS.Timeout | undefined;
  let databaseUrl = '';
  let brokers: string[] = [];
  try {
    log(`run directory ${runDir}`);
    ensureKafkaJars();
    const [pgPort, redisPort, kafkaPort, controllerPort, apiPort, metricsPort] = await Promise.all(
      Array.from({ length: 6 }, freePort),
    );
    const postgres = await postgresServer(runDir, pgPort!);
    const redis = redisServer(runDir, redisPort!);
    const kafka = await kafkaServer(runDir, kafkaPort!, controllerPort!);
    servers.push(postgres, redis, kafka);
    databaseUrl = postgres.url;
    brokers = [`127.0.0.1:${kafkaPort}`];
    event(`starting PostgreSQL :${pgPort}, Redis :${redisPort}, Kafka :${kafkaPort} (controller :${controllerPort})`);
    await Promise.all([postgres.start(), redis.start(), kafka.start()]);
    event('servers up');

    const operatorKey = newOperatorKey();
    const baseUrl = `http://127.0.0.1:${apiPort}`;
    const env: Record<string, string> = {
      DATABASE_URL: databaseUrl,
      POSTGRES_DSN: '',
      REDIS_URL: `redis://127.0.0.1:${redisPort}`,
      REDIS_ADDR: '',
      REDIS_KEY_PREFIX: 'dg:',
      KAFKA_BROKERS: brokers.join(','),
      KAFKA_TOPIC_PREFIX: '',
      HOST: '127.0.0.1',
      PORT: String(apiPort),
      HTTP_ADDR: '',
      OPERATOR_KEY: operatorKey,
      LOG_LEVEL: 'info',
      NODE_ENV: 'production',
    };
    const common = {
      runtime: plan.runtime,
      logDir: runDir,
      clock: at,
      onUnexpectedExit: (e: UnexpectedExit) => {
        unexpectedExits.push(e);
        event(`${e.process} EXITED by itself (code ${e.code ?? '–'}, signal ${e.signal ?? '–'}); restarting it in 1 s`);
      },
    };
    // `npm run migrate`, against the run's own cluster.
    await execFileAsync(process.execPath, nodeArgs(plan.runtime, 'internal/db/migrate-cli.ts'), {
      cwd: PROJECT_ROOT,
      env: { ...process.env, ...env },
    });
    event('migrated');

    const worker = appProcess({
      ...common,
      name: 'worker',
      entry: 'apps/worker/main.ts',
      env: { ...env, WORKER_METRICS_PORT: String(metricsPort) },
      ready: () => httpAnswers(`http://127.0.0.1:${metricsPort}/metrics`, (s) => s === 200),
    });
    const api = appProcess({
      ...common,
      name: 'api',
      entry: 'apps/api/main.ts',
      env,
      ready: () => httpAnswers(`${baseUrl}/health`, (s) => s === 200),
    });
    const tallyFile = join(runDir, 'simulator-tally.json');
    const simulator = appProcess({
      ...common,
      name: 'simulator',
      entry: 'apps/simulator/main.ts',
      args: [
        '--api',
        baseUrl,
        '--riders',
        String(plan.riders),
        '--stores',
        String(plan.stores),
        '--mode',
        'delivery_rush',
        '--utilisation',
        String(plan.utilisation),
        '--speed',
        String(plan.speed),
        '--seed',
        String(plan.seed),
        '--progress',
        '10',
        '--tally-file',
        tallyFile,
      ],
      env,
      // Restarting a simulator would lose its tally and strand its riders' batches: a crash fails the run instead.
      supervise: false,
    });
    apps.push(simulator, api, worker);
    await Promise.all([worker.start(), api.start()]);
    event(`worker (metrics :${metricsPort}) and API (${baseUrl}) up`);
    const call = chaosApi(baseUrl, operatorKey);
    await simulator.start();
    const stores = await waitForStores(call, plan.stores, 60_000);
    event(`simulator running: ${plan.riders} riders, ${stores.length} stores, delivery_rush at ${plan.speed}×`);
    result.setup = {
      mode: plan.mode,
      riders: plan.riders,
      stores: stores.length,
      'simulated speed': `${plan.speed}× (virtual clock from 17:45, rush 18:00–20:00 at 3× the rate)`,
      'sized utilisation outside the rush': plan.utilisation,
      'worker processes': 1,
      'processes run from': plan.runtime === 'dist' ? 'dist/ (npm run build)' : 'the TypeScript sources (tsx)',
      'warm-up / settle between faults / outage': `${seconds(plan.warmUpMs)} / ${seconds(plan.settleMs)} / ${seconds(plan.outageMs)}`,
      'recovery timeout / drain deadline': `${seconds(plan.recoveryTimeoutMs)} / ${seconds(plan.drainTimeoutMs)}`,
      seed: plan.seed,
      machine: `${(await import('node:os')).cpus().length} cores, load ${(await import('node:os'))
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} at start`,
    };

    sampler = setInterval(() => {
      void ordersByStatus(databaseUrl).then(
        (orders) => timeline.push({ atMs: at(), orders }),
        () => timeline.push({ atMs: at(), event: '(Postgres did not answer the sample)' }),
      );
    }, 10_000);

    let probeIndex = 0;
    const probe = async (since: number): Promise<Recovery> => {
      const store = stores[probeIndex++ % stores.length]!;
      const r = await probeRecovery(call, store, since, since + plan.recoveryTimeoutMs, {
        waiting: () => ordersWaitingForRider(databaseUrl),
      });
      if (r.orderId) result.probesAccepted += 1;
      return r;
    };

    await sleep(plan.warmUpMs);
    result.baseline = await probe(Date.now());
    event(`baseline: probe order assigned in ${seconds(result.baseline.flowMs)}`);

    const restartServer = (server: ChaosServer, hard: boolean, downMs: number) => async () => {
      await server.stop({ hard });
      if (downMs > 0) await sleep(downMs);
      await server.start();
    };
    const plannedFaults: Array<{
      name: string;
      action: string;
      run: (notes: string[], fail: (why: string) => void) => Promise<void>;
    }> = [
      {
        name: 'worker-kill',
        action: 'kill -9 the worker, start it again',
        run: async () => {
          await worker.stop('SIGKILL');
          await worker.start();
        },
      },
      {
        name: 'kafka-kill',
        action: 'kill -9 Kafka, start it again (same data)',
        run: restartServer(kafka, true, 0),
      },
      {
        name: 'redis-empty',
        action: `kill Redis, ${seconds(plan.outageMs)} down, start it empty`,
        run: restartServer(redis, true, plan.outageMs),
      },
      {
        name: 'postgres-restart',
        action: `stop PostgreSQL (fast shutdown), ${seconds(plan.outageMs)} down, start it`,
        run: restartServer(postgres, false, plan.outageMs),
      },
      {
        name: 'api-sigterm',
        action: 'SIGTERM the API under load, start it again',
        run: async (notes, fail) => {
          const exit = await api.stop('SIGTERM');
          if (exit.code !== 0)
            fail(`the API did not exit cleanly on SIGTERM (code ${exit.code}, signal ${exit.signal})`);
          notes.push(
            `the API exited ${exit.code === 0 ? 'cleanly (code 0)' : `with code ${exit.code}, signal ${exit.signal}`} ${seconds(exit.ms)} after SIGTERM`,
          );
          await api.start();
        },
      },
    ];

    for (const fault of plannedFaults) {
      if (Date.now() > budgetEnd) {
        // The remaining faults are skipped (the run fails), but the drain still runs: its audit says what was lost.
        result.aborted = `the budget (${seconds(plan.budgetMs)}) ran out before ${fault.name}`;
        event(`SKIPPED ${fault.name} and the faults after it: ${result.aborted}`);
        break;
      }
      const notes: string[] = [];
      let failure: string | undefined;
      const t0 = Date.now();
      const atMs = at();
      event(`FAULT ${fault.name}: ${fault.action}`);
      // The probe starts at once: it measures from the fault, while the process is still coming back.
      const recovering = (async () => {
        await sleep(500);
        return probe(t0);
      })();
      let processBackMs: number | null = null;
      try {
        await fault.run(notes, (why) => (failure = why));
        processBackMs = Date.now() - t0;
        event(`${fault.name}: process back after ${seconds(processBackMs)}`);
      } catch (error) {
        notes.push(`restart failed: ${(error as Error).message.split('\n')[0]}`);
        event(`${fault.name}: restart FAILED: ${(error as Error).message.split('\n')[0]}`);
      }
      const recovery = await recovering;
      faults.push({ name: fault.name, action: fault.action, atMs, processBackMs, recovery, notes, failure });
      event(
        `${fault.name}: API back ${seconds(recovery.apiMs)}, orders flow ${seconds(recovery.flowMs)}${recovery.error ? ` — ${recovery.error}` : ''}`,
      );
      for (const p of [api, worker]) if (!p.running()) notes.push(`${p.name} not running after the fault`);
      if (!simulator.running()) throw new Error('the simulator exited');
      await sleep(plan.settleMs);
    }

    event('demand stops (SIGUSR2 to the simulator): kitchens and riders finish the accepted orders');
    simulator.signal('SIGUSR2');
    const drainStart = Date.now();
    const drainEnd = drainStart + plan.drainTimeoutMs;
    let complete = false;
    let lastOpen = '';
    while (Date.now() < drainEnd) {
      const open = await openOrders(databaseUrl).catch(() => null);
      if (open && Object.keys(open).length === 0) {
        complete = true;
        break;
      }
      const text = open ? JSON.stringify(open) : 'Postgres did not answer';
      if (text !== lastOpen) log(`draining: open orders ${text}`);
      lastOpen = text;
      await sleep(2_000);
    }
    result.drain = { ms: Date.now() - drainStart, complete, deadlineMs: plan.drainTimeoutMs };
    event(`drain ${complete ? 'complete' : 'NOT complete'} after ${seconds(result.drain.ms)}`);
    const simExit = await simulator.stop('SIGTERM');
    if (simExit.code !== 0) event(`simulator exited with code ${simExit.code}, signal ${simExit.signal}`);
    result.simulator = await readFile(tallyFile, 'utf8').then(
      (text) => {
        const t = JSON.parse(text) as {
          ordersPlaced: number;
          ordersFailed: number;
          delivered: number;
          errorKinds: Record<string, number>;
        };
        return { accepted: t.ordersPlaced, failed: t.ordersFailed, delivered: t.delivered, errorKinds: t.errorKinds };
      },
      () => null,
    );
  } catch (error) {
    result.aborted = (error as Error).message.split('\n').slice(0, 3).join(' ');
    event(`ABORTED: ${result.aborted}`);
  } finally {
    clearInterval(sampler);
    if (databaseUrl) {
      const final = await ordersByStatus(databaseUrl).catch(() => undefined);
      if (final) timeline.push({ atMs: at(), event: 'end', orders: final });
      result.audit = await auditRun(databaseUrl, brokers).catch((error) => {
        log(`audit failed: ${(error as Error).message}`);
        return null;
      });
    }
    await closeAll(apps);
    for (const s of [...servers].reverse()) await s.stop().catch(() => {});
    result.durationMs = at();
    timeline.sort((x, y) => x.atMs - y.atMs);
  }
  return result;
}

/** Removes the run directory (logs and data). */
export async function removeRunDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
}

/** Waits until the simulator created its stores; returns them. */
async function waitForStores(
  call: ChaosApi,
  count: number,
  timeoutMs: number,
): Promise<Array<{ id: string; lat: number; lon: number }>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const a = await call('GET', '/stores?limit=500');
    const items = (a.status === 200 ? a.body.items : []) as Array<{ id: string; lat: number; lon: number }>;
    if (items.length >= count) return items;
    if (Date.now() > deadline)
      throw new Error(`the simulator did not create its ${count} stores within ${timeoutMs} ms`);
    await sleep(500);
  }
}
