/**
 * The whole dispatch stack on the real servers, for the e2e test and the benchmark: the worker as `npm run worker`
 * composes it (outbox relay + every pipeline consumer, on Kafka) and the HTTP API as `npm run api` composes it
 * (composeApi), listening on 127.0.0.1 — isolated by a fresh Postgres database, a Redis key prefix and a Kafka topic
 * prefix, all from the one configuration.
 */
import { composeApi } from '../../apps/api/compose.ts';
import { composeWorker, type WorkerOptions, type WorkerRuntime } from '../../apps/worker/worker.ts';
import { loadConfig, type Config } from '../../internal/config/config.ts';
import { createDatabase, type DatabaseHandle } from '../../internal/db/database.ts';
import { migrateUp } from '../../internal/db/migrate.ts';
import { RedisGeoStore } from '../../internal/geostore/redis-geo-store.ts';
import { silentLogger, type Logger } from '../../internal/platform/logger.ts';
import { startApiProcess } from './api-process.ts';
import { deleteTopics, listTopics, uniqueTopic } from './kafka.ts';
import { createTestDatabase, type TestDatabase } from './postgres.ts';
import { createTestRedis, type TestRedis } from './redis.ts';
import { realServersEnv } from './real-servers-env.ts';

export interface ApiAnswer<T = any> {
  status: number;
  body: T;
}

export interface DispatchStack {
  config: Config;
  baseUrl: string;
  database: DatabaseHandle;
  geo: RedisGeoStore;
  /** The in-process worker; undefined with `inProcessWorker: false`. */
  worker: WorkerRuntime | undefined;
  /** The environment the stack's config was loaded from: a worker process started with it joins this stack. */
  env: Record<string, string>;
  /** One JSON request to the API. */
  api<T = any>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<ApiAnswer<T>>;
  close(): Promise<void>;
}

export interface DispatchStackOptions {
  name: string;
  logger?: Logger;
  worker?: WorkerOptions;
  /** Extra environment for loadConfig (e.g. LOG_LEVEL). */
  env?: Record<string, string>;
  /** Compose the worker in this process (default). False: only migrate; the caller runs a worker process with `env`. */
  inProcessWorker?: boolean;
  /**
   * Run the API as its own process (`node --import tsx apps/api/main.ts`, i.e. `npm run api`) instead of composing it
   * here, so a load generator in this process does not share the API's event loop. `workers` sets API_WORKERS.
   */
  apiProcess?: { workers?: number };
}

export async function startDispatchStack(options: DispatchStackOptions): Promise<DispatchStack> {
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
    if (options.apiProcess) {
      const apiProcess = await startApiProcess({ ...env, LOG_LEVEL: 'warn', API_WORKERS: String(options.apiProcess.workers ?? 1) });
      closers.push(() => apiProcess.stop());
      port = Number(new URL(apiProcess.baseUrl).port);
    } else {
      const apiRuntime = await composeApi(loadConfig({ ...env, HTTP_ADDR: '127.0.0.1:0' }), logger);
      closers.push(() => apiRuntime.cleanup());
      port = (await apiRuntime.start()).port;
    }

    // Direct access for assertions and set-up the API does not offer.
    const database = createDatabase(config.databaseUrl!, { maxConnections: 10, applicationName: 'deliverygo-test-probe' });
    closers.push(() => database.close());
    const geo = await RedisGeoStore.connect(config.redisUrl!, { prefix: config.redisKeyPrefix });
    closers.push(() => geo.close());
    const baseUrl = `http://127.0.0.1:${port}`;

    const api = async <T = any>(method: 'GET' | 'POST', path: string, body?: unknown): Promise<ApiAnswer<T>> => {
      const response = await fetch(`${baseUrl}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T };
    };
    return { config, baseUrl, database, geo, worker, env, api, close };
  } catch (error) {
    await close();
    throw error;
  }
}
