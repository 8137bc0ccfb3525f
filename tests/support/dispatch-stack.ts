/**
 * The whole dispatch stack on the real servers, for the e2e test and the benchmark: the worker as `npm run worker`
 * composes it (outbox relay + every pipeline consumer, on Kafka) and the HTTP API as `npm run api` composes it
 * (composeApi), listening on 127.0.0.1 — isolated by a fresh Postgres database, a Redis key prefix and a Kafka topic
 * prefix, all from the one configuration.
 *
 * `backend: 'embedded'` runs the same two composition roots over the adapters `npm start` uses (PGlite, the in-process
 * bus, the in-memory geo store), built once and shared by both, as apps/all does.
 */
import { composeApi } from '../../apps/api/compose.ts';
import { composeWorker, type WorkerOptions, type WorkerRuntime } from '../../apps/worker/worker.ts';
import { openAdapters } from '../../internal/app/adapters.ts';
import { loadConfig, type Config } from '../../internal/config/config.ts';
import { createDatabase, type DatabaseHandle } from '../../internal/db/database.ts';
import { migrateUp } from '../../internal/db/migrate.ts';
import type { GeoStore } from '../../internal/geostore/geo-store.ts';
import { RedisGeoStore } from '../../internal/geostore/redis-geo-store.ts';
import { systemClock } from '../../internal/platform/clock.ts';
import { Registry } from 'prom-client';
import { silentLogger, type Logger } from '../../internal/platform/logger.ts';
import { startApiProcess } from './api-process.ts';
import { deleteTopics, listTopics, uniqueTopic } from './kafka.ts';
import { createTestDatabase, type TestDatabase } from './postgres.ts';
import { createTestRedis, type TestRedis } from './redis.ts';
import { realServersEnv, TEST_OPERATOR_AUTH, TEST_OPERATOR_KEY } from './real-servers-env.ts';

export interface ApiAnswer<T = any> {
  status: number;
  body: T;
}

export interface DispatchStack {
  config: Config;
  baseUrl: string;
  /** The API process' pid with `apiProcess` (its CPU time is what a benchmark charges per request); else undefined. */
  apiPid?: number | undefined;
  database: Pick<DatabaseHandle, 'db'>;
  geo: GeoStore;
  /** The in-process worker; undefined with `inProcessWorker: false`. */
  worker: WorkerRuntime | undefined;
  /** The environment the stack's config was loaded from: a worker process started with it joins this stack. */
  env: Record<string, string>;
  /** The operator key the stack's API registered (`OPERATOR_KEY`); `api` sends it. */
  operatorKey: string;
  /** One JSON request to the API, as the operator. */
  api<T = any>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<ApiAnswer<T>>;
  close(): Promise<void>;
}

/** Where a stack runs: the real test servers, or the embedded adapters of `npm start`. */
export const DISPATCH_BACKENDS = ['real servers', 'embedded'] as const;
export type DispatchBackend = (typeof DISPATCH_BACKENDS)[number];

export interface DispatchStackOptions {
  name: string;
  /** Default 'real servers'. */
  backend?: DispatchBackend;
  logger?: Logger;
  worker?: WorkerOptions;
  /** Extra environment for loadConfig (e.g. LOG_LEVEL). */
  env?: Record<string, string>;
  /** Compose the worker in this process (default). False: only migrate; the caller runs a worker process with `env`. */
  inProcessWorker?: boolean;
  /**
   * Run the API as its own process (`npm run api`, tests/support/api-process.ts) instead of composing it here, so a
   * load generator in this process does not share the API's event loop. `workers` sets API_WORKERS; `root` runs
   * another checkout's API (an A/B benchmark of an API change; its node_modules installed or linked); `compiled` runs
   * its build (`node dist/apps/api/main.js`, what a benchmark measures) instead of its sources.
   */
  apiProcess?: { workers?: number; root?: string | undefined; compiled?: boolean };
}

export async function startDispatchStack(options: DispatchStackOptions): Promise<DispatchStack> {
  if (options.backend === 'embedded') return startEmbeddedStack(options);
  const logger = options.logger ?? silentLogger;
  const closers: Array<() => Promise<void>> = [];
  const close = async (): Promise<void> => {
    for (const c of closers.reverse()) await c().catch(() => {});
  };
  try {
    const testDb: TestDatabase = await createTestDatabase(options.name);
    closers.push(() => testDb.drop());
    const testRedis: TestRedis = await createTestRedis();
    closers.push(() => testRedis.cleanup());
    const topicPrefix = `${uniqueTopic(options.name)}.`;
    closers.push(async () => deleteTopics((await listTopics()).filter((t) => t.startsWith(topicPrefix))));
    const env = realServersEnv(
      { databaseUrl: testDb.url, redisPrefix: testRedis.prefix, topicPrefix },
      { BUS_BACKOFF_MS: '50', ...options.env },
    );
    const config = loadConfig(env);

    // The worker migrates the database on start-up, so it comes first.
    let worker: WorkerRuntime | undefined;
    if (options.inProcessWorker === false) {
      await migrateUp(testDb.url, logger);
    } else {
      const w = await composeWorker(config, logger, options.worker);
      closers.push(() => w.cleanup());
      await w.start();
      worker = w;
    }

    // The API exactly as `npm run api` composes it, on a free port of 127.0.0.1.
    let port: number;
    let apiPid: number | undefined;
    if (options.apiProcess) {
      const apiProcess = await startApiProcess(
        { ...env, LOG_LEVEL: 'warn', API_WORKERS: String(options.apiProcess.workers ?? 1) },
        { root: options.apiProcess.root, compiled: options.apiProcess.compiled ?? false },
      );
      closers.push(() => apiProcess.stop());
      port = Number(new URL(apiProcess.baseUrl).port);
      apiPid = apiProcess.child.pid;
    } else {
      const apiRuntime = await composeApi(loadConfig({ ...env, HTTP_ADDR: '127.0.0.1:0' }), logger);
      closers.push(() => apiRuntime.cleanup());
      port = (await apiRuntime.start()).port;
    }

    // Direct access for assertions and set-up the API does not offer.
    const database = createDatabase(config.databaseUrl!, {
      maxConnections: 10,
      applicationName: 'deliverygo-test-probe',
    });
    closers.push(() => database.close());
    const geo = await RedisGeoStore.connect(config.redisUrl!, { prefix: config.redisKeyPrefix });
    closers.push(() => geo.close());
    const baseUrl = `http://127.0.0.1:${port}`;

    return {
      config,
      baseUrl,
      apiPid,
      database,
      geo,
      worker,
      env,
      operatorKey: TEST_OPERATOR_KEY,
      api: apiClient(baseUrl),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

/** One JSON request at a time to the API at `baseUrl`. */
function apiClient(baseUrl: string): DispatchStack['api'] {
  return async <T = any>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<ApiAnswer<T>> => {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: { ...TEST_OPERATOR_AUTH, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
  };
}

/** The stack on the embedded adapters: one set, shared by the worker and the API, as `npm start` shares it. */
async function startEmbeddedStack(options: DispatchStackOptions): Promise<DispatchStack> {
  if (options.inProcessWorker === false || options.apiProcess)
    throw new TypeError('the embedded stack runs worker and API in this process');
  const logger = options.logger ?? silentLogger;
  const closers: Array<() => Promise<void>> = [];
  const close = async (): Promise<void> => {
    for (const c of closers.reverse()) await c().catch(() => {});
  };
  try {
    const env = {
      HTTP_ADDR: '127.0.0.1:0',
      LOG_LEVEL: 'silent',
      BUS_BACKOFF_MS: '50',
      OPERATOR_KEY: TEST_OPERATOR_KEY,
      ...options.env,
    };
    const config = loadConfig(env);
    const metrics = new Registry();
    const clock = options.worker?.clock ?? systemClock;
    const adapters = await openAdapters(config, logger, {
      clock,
      applicationName: 'deliverygo-test',
      registry: metrics,
    });
    closers.push(() => adapters.close());
    const worker = await composeWorker(config, logger, { ...options.worker, adapters, metrics });
    closers.push(() => worker.cleanup());
    await worker.start();
    const apiRuntime = await composeApi(config, logger, { adapters, metrics, clock });
    closers.push(() => apiRuntime.cleanup());
    const { port } = await apiRuntime.start();
    const baseUrl = `http://127.0.0.1:${port}`;
    return {
      config,
      baseUrl,
      database: { db: adapters.db },
      geo: adapters.geo,
      worker,
      env,
      operatorKey: TEST_OPERATOR_KEY,
      api: apiClient(baseUrl),
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}
