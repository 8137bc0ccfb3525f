import { z } from 'zod';
import {
  DispatchParamsError,
  loadDispatchParamSet,
  withDispatchOverrides,
  type DispatchParamSet,
} from './dispatch-params.ts';

/**
 * The whole runtime configuration, parsed once from the environment at start-up and then injected.
 * No other module reads `process.env`.
 *
 * An unset service URL selects that part's embedded adapter (PGlite, in-memory bus, in-memory geo store,
 * straight-line router), so `npm start` works with no servers. DeliveryGO's variable names are accepted too.
 */
export interface Config {
  /** Where the API listens: `HOST` (default 127.0.0.1) and `PORT` (default 8000), or DeliveryGO's `HTTP_ADDR`. */
  http: { host: string; port: number };
  /** Port of the worker's `/metrics` endpoint (`WORKER_METRICS_PORT`, on `http.host`); unset = none. */
  workerMetricsPort: number | undefined;
  /** Postgres URL, or undefined for embedded PGlite. */
  databaseUrl: string | undefined;
  /**
   * How long getting a pooled Postgres connection may take (`DATABASE_CONNECT_TIMEOUT_MS`, default 5 000): connecting, or
   * waiting for a free one. Past it the request answers 503 `dependency.unavailable` instead of hanging.
   */
  databaseConnectTimeoutMs: number;
  /** Redis URL, or undefined for the in-memory geo/state store. */
  redisUrl: string | undefined;
  /** Prepended to every Redis key the geo store writes (`REDIS_KEY_PREFIX`, default `dg:`). */
  redisKeyPrefix: string;
  /**
   * Longest a Redis command may take, queued while reconnecting included (`REDIS_COMMAND_TIMEOUT_MS`, default 2 000);
   * with Redis away a request answers 503 within about this long.
   */
  redisCommandTimeoutMs: number;
  /** Kafka brokers, or undefined for the in-process bus. */
  kafkaBrokers: string[] | undefined;
  /**
   * `topicPrefix` is prepended to every topic name by the event bus (see create-event-bus.ts), so test suites and
   * side-by-side deployments can share one broker while topic names stay DeliveryGO's. Empty by default.
   */
  kafka: {
    clientId: string;
    partitions: number;
    topicPrefix: string;
    /** How long start-up (subscribing, creating topics) waits out a broker that is down or still electing leaders. */
    startDeadlineMs: number;
    /** How long one publish waits out transient broker failures before it fails (background publishers: the outbox relay). */
    publishDeadlineMs: number;
    /**
     * How long a request waits for its publish (`KAFKA_REQUEST_PUBLISH_DEADLINE_MS`, default 3 000): the GPS ingest answers
     * 503 past it rather than holding the rider's request for the background deadline.
     */
    requestPublishDeadlineMs: number;
  };
  /** OSRM base URL, or undefined for the straight-line router. */
  osrmUrl: string | undefined;
  osrm: { timeoutMs: number; maxTableSize: number };
  /**
   * `mode` (`ROUTER`: `auto`, `road` or `straight-line`; default `auto`) picks the router when OSRM is not used:
   * `auto` lets `npm start` route on the demo city's road graph (`roadsDir`, `ROADS_DIR`, default data/monaco) and
   * the API or worker alone on the straight line; `road` always uses the graph, `straight-line` never.
   * `speedMps`/`detourFactor` (`ROUTER_SPEED_KMH`, `ROUTER_DETOUR_FACTOR`) shape the straight line.
   */
  router: {
    mode: 'auto' | 'road' | 'straight-line';
    roadsDir: string | undefined;
    speedMps: number;
    detourFactor: number;
  };
  /** H3 resolution of order and store cells: the dispatch set's `h3Resolution` (`H3_RESOLUTION` or the parameter file). */
  h3Resolution: number;
  /**
   * The dispatch parameter set the worker and the replay run (`DISPATCH_PARAMS_FILE`, a JSON file as `npm run tune --
   * --write` saves it, then `DISPATCH_PARAMS`, inline JSON overrides; defaults otherwise). See dispatch-params.ts.
   */
  dispatch: DispatchParamSet;
  /**
   * How every consumer retries a failing handler before dead-lettering the message to `<topic>.dlq`. A transient
   * failure (Postgres, Redis or Kafka away) is retried for `retryBudgetMs` (`BUS_RETRY_BUDGET_MS`, default 300 000:
   * five minutes, longer than a dependency restart), any other failure `maxAttempts` times (`BUS_MAX_ATTEMPTS`, default
   * 5); the pauses double from `backoffMs` (`BUS_BACKOFF_MS`, default 100) up to `maxBackoffMs` (`BUS_MAX_BACKOFF_MS`,
   * default 5 000). A permanent failure (a poison message, an error flagged `permanent`) is dead-lettered at once.
   */
  bus: { maxAttempts: number; backoffMs: number; maxBackoffMs: number; retryBudgetMs: number };
  /**
   * The live map page (`GET /map`). `tileUrl` (`MAP_TILE_URL`, a Leaflet URL template such as
   * `https://tile.openstreetmap.org/{z}/{x}/{y}.png`) adds a tile layer; unset (the default) draws a plain grid, so the
   * map works offline.
   */
  map: { tileUrl: string | undefined };
  /**
   * GPS history writing (worker): a batch is flushed at `historyBatchRows` rows (`TELEMETRY_HISTORY_BATCH_ROWS`, default
   * 5 000) or after `historyLingerMs` (`TELEMETRY_HISTORY_LINGER_MS`, default 5 ms) of waiting for company.
   */
  telemetry: { historyBatchRows: number; historyLingerMs: number };
  /**
   * Drop confirmation: how old (since the server received it, on the injected clock) the rider's GPS fix may be for a
   * drop to be accepted on it (`DELIVERY_FIX_MAX_AGE_S`, default 60). A fix older than the geo store keeps positions
   * (60 s) is gone anyway, so a larger value does not accept older fixes.
   */
  delivery: { fixMaxAgeMs: number };
  /**
   * The WebSocket hub on `/ws`: ping period (`WS_HEARTBEAT_MS`, default 15 000), frames queued per slow client before the
   * oldest is dropped (`WS_MAX_QUEUE`, default 1 000), socket buffer above which a client is slow
   * (`WS_MAX_BUFFERED_BYTES`, default 1 MiB).
   */
  ws: { heartbeatMs: number; maxQueue: number; maxBufferedBytes: number };
  /**
   * The worker's self-healing loops (clock time). `reconcileIntervalMs` (`GEO_RECONCILE_INTERVAL_MS`, default 15 000):
   * how often the worker checks that the geo store still holds its data and rebuilds it from Postgres when not (Redis
   * restarted empty). `riderSilentAfterMs` (`RIDER_SILENT_AFTER_S`, default 120 s): a rider whose last GPS fix is older
   * loses its not-yet-picked-up batch back to dispatch; `silentCheckIntervalMs` (`RIDER_SILENT_CHECK_INTERVAL_MS`,
   * default 10 000) is how often that is checked.
   */
  selfHealing: { reconcileIntervalMs: number; riderSilentAfterMs: number; silentCheckIntervalMs: number };
  /**
   * API processes (`API_WORKERS`, default 1): above 1, `npm run api` forks that many node:cluster workers sharing the
   * listening port (apps/api/cluster.ts), for when one event loop is the bottleneck. The WebSocket hub is cluster-safe
   * (fan-out goes through Redis pub/sub).
   */
  apiWorkers: number;
  /**
   * Authentication (internal/auth/policy.ts). `operatorKey` (`OPERATOR_KEY`, optional, `dgo_op_…`): registered as
   * an operator key when the API starts (idempotent), for compose, chaos runs and benches. `cacheTtlMs`
   * (`AUTH_CACHE_TTL_MS`, default 30 000): how long each API process reuses a token's answer — a revoked key keeps
   * working at most this long, and GPS pings cost no Postgres query meanwhile.
   */
  auth: { operatorKey: string | undefined; cacheTtlMs: number };
  /**
   * Request rate limits (token buckets: `perSecond` sustained, `burst` at once; apps/api/rate-limit.ts), kept in Redis
   * under `redisKeyPrefix` when REDIS_URL is set (shared by every API instance), else in process memory.
   * `enabled` (`RATE_LIMIT_ENABLED`, default true) switches the request limits (operator, key, ip) off as a whole.
   * - `operator` (`RATE_LIMIT_OPERATOR_PER_S` 2 000, `RATE_LIMIT_OPERATOR_BURST` 4 000): per bearer token of the operator
   *   kind (`dgo_op_…`): back office, fleet gateways, the simulator and the benches (≈ 1 000 orders/s) stay below it.
   * - `key` (`RATE_LIMIT_KEY_PER_S` 50, `RATE_LIMIT_KEY_BURST` 100): per any other bearer token (store, rider, order).
   * - `ip` (`RATE_LIMIT_IP_PER_S` 20, `RATE_LIMIT_IP_BURST` 40): per client IP, for requests without a token. Loopback
   *   clients (127.0.0.0/8, ::1) are exempt unless `RATE_LIMIT_IP_EXEMPT_LOOPBACK=false`, so local benchmarks and the
   *   `npm start` demo are never limited; `RATE_LIMIT_TRUST_PROXY=true` takes the client IP from the first
   *   `X-Forwarded-For` entry (only behind a proxy that sets it).
   * - `gps` (`RATE_LIMIT_GPS_PER_S` 5, `RATE_LIMIT_GPS_BURST` 10): `POST /riders/{id}/location` per rider, enforced in
   *   the geo store's ping step (riders ping about once a second). `RATE_LIMIT_GPS_PER_S=0` turns it off.
   */
  rateLimit: {
    enabled: boolean;
    operator: { perSecond: number; burst: number };
    key: { perSecond: number; burst: number };
    ip: { perSecond: number; burst: number };
    gps: { perSecond: number; burst: number } | undefined;
    exemptLoopback: boolean;
    trustProxy: boolean;
  };
  /**
   * OpenTelemetry traces (internal/platform/tracing.ts), off unless an OTLP endpoint is set. `tracesUrl` is
   * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` as given, else `OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces` (the OTLP/HTTP
   * rule); undefined = tracing off (no SDK started). `serviceName` (`OTEL_SERVICE_NAME`) overrides the process's own
   * name (`deliverygo-api`, `deliverygo-worker`, `deliverygo`). `sampleRatio` (`OTEL_TRACES_SAMPLER_ARG`, 0–1, default 1):
   * share of new traces kept; a trace continued from a parent follows the parent's decision.
   */
  tracing: { tracesUrl: string | undefined; serviceName: string | undefined; sampleRatio: number };
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

const url = (protocols: string[]) =>
  z
    .string()
    .trim()
    .refine(
      (value) => {
        try {
          return protocols.includes(new URL(value).protocol);
        } catch {
          return false;
        }
      },
      { message: `must be a URL with scheme ${protocols.map((p) => p.replace(':', '')).join(' or ')}` },
    );

const hostPort = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9.\-_]*:\d{1,5}$|^\[[0-9a-fA-F:]+\]:\d{1,5}$/, 'must be host:port (host may be empty)');

const brokerList = z
  .string()
  .trim()
  .transform((s) =>
    s
      .split(',')
      .map((b) => b.trim())
      .filter(Boolean),
  )
  .pipe(
    z
      .array(z.string().regex(/^[A-Za-z0-9.\-_]+:\d{1,5}$/, 'each broker must be host:port'))
      .min(1, 'needs at least one broker'),
  );

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const positive = z.coerce.number().positive();
const flag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'], { message: 'must be true or false' })
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));
const rate = z.coerce.number().min(0.001).max(1_000_000);

/** Every variable we read; optional ones default below. Empty strings count as unset. */
const envSchema = z.object({
  DATABASE_URL: url(['postgres:', 'postgresql:']).optional(),
  POSTGRES_DSN: url(['postgres:', 'postgresql:']).optional(),
  REDIS_URL: url(['redis:', 'rediss:']).optional(),
  REDIS_ADDR: hostPort.optional(),
  KAFKA_BROKERS: brokerList.optional(),
  KAFKA_CLIENT_ID: z.string().min(1).default('deliverygo'),
  KAFKA_PARTITIONS: int(1, 256).default(3),
  KAFKA_START_DEADLINE_MS: int(0, 3_600_000).default(120_000),
  KAFKA_PUBLISH_DEADLINE_MS: int(0, 600_000).default(30_000),
  KAFKA_REQUEST_PUBLISH_DEADLINE_MS: int(1, 600_000).default(3_000),
  DATABASE_CONNECT_TIMEOUT_MS: int(1, 600_000).default(5_000),
  REDIS_COMMAND_TIMEOUT_MS: int(1, 600_000).default(2_000),
  KAFKA_TOPIC_PREFIX: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9._-]{0,100}$/, 'may hold only letters, digits, ".", "_" and "-"')
    .default(''),
  REDIS_KEY_PREFIX: z.string().trim().min(1).max(100).default('dg:'),
  OSRM_URL: url(['http:', 'https:']).optional(),
  OSRM_ADDR: url(['http:', 'https:']).optional(),
  OSRM_TIMEOUT_MS: int(1, 120_000).default(2_000),
  OSRM_MAX_TABLE_SIZE: int(2, 10_000).default(100),
  ROUTER: z.enum(['auto', 'road', 'straight-line']).default('auto'),
  ROADS_DIR: z.string().trim().min(1).optional(),
  ROUTER_SPEED_KMH: positive.default(30),
  ROUTER_DETOUR_FACTOR: z.coerce.number().min(1).max(5).default(1.3),
  HOST: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9.\-_:]+$/, 'must be a host name or IP address (e.g. 127.0.0.1, 0.0.0.0, ::)')
    .optional(),
  HTTP_ADDR: hostPort.optional(),
  PORT: int(0, 65_535).optional(),
  WORKER_METRICS_PORT: int(0, 65_535).optional(),
  H3_RESOLUTION: int(0, 15).optional(),
  DISPATCH_PARAMS_FILE: z.string().trim().min(1).optional(),
  DISPATCH_PARAMS: z.string().trim().min(1).optional(),
  BUS_MAX_ATTEMPTS: int(1, 100).default(5),
  BUS_BACKOFF_MS: int(1, 60_000).default(100),
  BUS_MAX_BACKOFF_MS: int(1, 600_000).default(5_000),
  BUS_RETRY_BUDGET_MS: int(0, 86_400_000).default(300_000),
  MAP_TILE_URL: url(['http:', 'https:']).optional(),
  TELEMETRY_HISTORY_BATCH_ROWS: int(1, 100_000).default(5_000),
  TELEMETRY_HISTORY_LINGER_MS: int(0, 10_000).default(5),
  WS_HEARTBEAT_MS: int(100, 600_000).default(15_000),
  WS_MAX_QUEUE: int(1, 1_000_000).default(1_000),
  WS_MAX_BUFFERED_BYTES: int(1_024, 1 << 30).default(1 << 20),
  API_WORKERS: int(1, 64).default(1),
  DELIVERY_FIX_MAX_AGE_S: int(1, 86_400).default(60),
  GEO_RECONCILE_INTERVAL_MS: int(100, 3_600_000).default(15_000),
  RIDER_SILENT_AFTER_S: int(10, 86_400).default(120),
  RIDER_SILENT_CHECK_INTERVAL_MS: int(100, 3_600_000).default(10_000),
  OPERATOR_KEY: z
    .string()
    .trim()
    .regex(
      /^dgo_op_[A-Za-z0-9_-]{43}$/,
      'must be an operator key: dgo_op_ and 43 base64url characters (npm run keys -- create)',
    )
    .optional(),
  AUTH_CACHE_TTL_MS: int(0, 3_600_000).default(30_000),
  RATE_LIMIT_ENABLED: flag.default(true),
  RATE_LIMIT_OPERATOR_PER_S: rate.default(2_000),
  RATE_LIMIT_OPERATOR_BURST: int(1, 10_000_000).default(4_000),
  RATE_LIMIT_KEY_PER_S: rate.default(50),
  RATE_LIMIT_KEY_BURST: int(1, 10_000_000).default(100),
  RATE_LIMIT_IP_PER_S: rate.default(20),
  RATE_LIMIT_IP_BURST: int(1, 10_000_000).default(40),
  RATE_LIMIT_IP_EXEMPT_LOOPBACK: flag.default(true),
  RATE_LIMIT_TRUST_PROXY: flag.default(false),
  RATE_LIMIT_GPS_PER_S: z.coerce.number().min(0).max(1_000).default(5),
  RATE_LIMIT_GPS_BURST: int(1, 10_000).default(10),
  OTEL_EXPORTER_OTLP_ENDPOINT: url(['http:', 'https:']).optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: url(['http:', 'https:']).optional(),
  OTEL_SERVICE_NAME: z.string().trim().min(1).max(200).optional(),
  OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0).max(1).default(1),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

/**
 * Parses the environment into a `Config`. Throws `ConfigError` naming every malformed variable (and, for the dispatch
 * parameters, the field).
 * @param env usually `process.env`; tests pass a literal.
 * @param readText reads `DISPATCH_PARAMS_FILE` (tests may inject it).
 */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  readText?: (path: string) => string,
): Config {
  const present = Object.fromEntries(
    Object.entries(env).filter(
      ([name, value]) => name in envSchema.shape && value !== undefined && value.trim() !== '',
    ),
  );
  const parsed = envSchema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid environment — ${problems.join('; ')}`);
  }
  const e = parsed.data;
  const [host, port] = splitHttpAddr(e.HTTP_ADDR, e.PORT);
  const dispatch = loadDispatch(e.DISPATCH_PARAMS_FILE, e.DISPATCH_PARAMS, e.H3_RESOLUTION, readText);
  return {
    http: { host: e.HOST ?? host, port },
    workerMetricsPort: e.WORKER_METRICS_PORT,
    databaseUrl: e.DATABASE_URL ?? e.POSTGRES_DSN,
    redisUrl: e.REDIS_URL ?? (e.REDIS_ADDR ? redisUrlOfAddr(e.REDIS_ADDR) : undefined),
    redisKeyPrefix: e.REDIS_KEY_PREFIX,
    databaseConnectTimeoutMs: e.DATABASE_CONNECT_TIMEOUT_MS,
    redisCommandTimeoutMs: e.REDIS_COMMAND_TIMEOUT_MS,
    kafkaBrokers: e.KAFKA_BROKERS,
    kafka: {
      clientId: e.KAFKA_CLIENT_ID,
      partitions: e.KAFKA_PARTITIONS,
      topicPrefix: e.KAFKA_TOPIC_PREFIX,
      startDeadlineMs: e.KAFKA_START_DEADLINE_MS,
      publishDeadlineMs: e.KAFKA_PUBLISH_DEADLINE_MS,
      requestPublishDeadlineMs: e.KAFKA_REQUEST_PUBLISH_DEADLINE_MS,
    },
    osrmUrl: e.OSRM_URL ?? e.OSRM_ADDR,
    osrm: { timeoutMs: e.OSRM_TIMEOUT_MS, maxTableSize: e.OSRM_MAX_TABLE_SIZE },
    router: {
      mode: e.ROUTER,
      roadsDir: e.ROADS_DIR,
      speedMps: e.ROUTER_SPEED_KMH / 3.6,
      detourFactor: e.ROUTER_DETOUR_FACTOR,
    },
    h3Resolution: dispatch.params.h3Resolution,
    dispatch,
    bus: {
      maxAttempts: e.BUS_MAX_ATTEMPTS,
      backoffMs: e.BUS_BACKOFF_MS,
      maxBackoffMs: Math.max(e.BUS_BACKOFF_MS, e.BUS_MAX_BACKOFF_MS),
      retryBudgetMs: e.BUS_RETRY_BUDGET_MS,
    },
    map: { tileUrl: e.MAP_TILE_URL },
    telemetry: { historyBatchRows: e.TELEMETRY_HISTORY_BATCH_ROWS, historyLingerMs: e.TELEMETRY_HISTORY_LINGER_MS },
    ws: { heartbeatMs: e.WS_HEARTBEAT_MS, maxQueue: e.WS_MAX_QUEUE, maxBufferedBytes: e.WS_MAX_BUFFERED_BYTES },
    delivery: { fixMaxAgeMs: e.DELIVERY_FIX_MAX_AGE_S * 1_000 },
    selfHealing: {
      reconcileIntervalMs: e.GEO_RECONCILE_INTERVAL_MS,
      riderSilentAfterMs: e.RIDER_SILENT_AFTER_S * 1_000,
      silentCheckIntervalMs: e.RIDER_SILENT_CHECK_INTERVAL_MS,
    },
    apiWorkers: e.API_WORKERS,
    auth: { operatorKey: e.OPERATOR_KEY, cacheTtlMs: e.AUTH_CACHE_TTL_MS },
    rateLimit: {
      enabled: e.RATE_LIMIT_ENABLED,
      operator: { perSecond: e.RATE_LIMIT_OPERATOR_PER_S, burst: e.RATE_LIMIT_OPERATOR_BURST },
      key: { perSecond: e.RATE_LIMIT_KEY_PER_S, burst: e.RATE_LIMIT_KEY_BURST },
      ip: { perSecond: e.RATE_LIMIT_IP_PER_S, burst: e.RATE_LIMIT_IP_BURST },
      gps:
        e.RATE_LIMIT_GPS_PER_S > 0 ? { perSecond: e.RATE_LIMIT_GPS_PER_S, burst: e.RATE_LIMIT_GPS_BURST } : undefined,
      exemptLoopback: e.RATE_LIMIT_IP_EXEMPT_LOOPBACK,
      trustProxy: e.RATE_LIMIT_TRUST_PROXY,
    },
    tracing: {
      tracesUrl: e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? otlpSignalUrl(e.OTEL_EXPORTER_OTLP_ENDPOINT, 'traces'),
      serviceName: e.OTEL_SERVICE_NAME,
      sampleRatio: e.OTEL_TRACES_SAMPLER_ARG,
    },
    logLevel: e.LOG_LEVEL,
  };
}

/**
 * The dispatch parameter set. `H3_RESOLUTION` is the one cell size the API (order cells) and the worker (hot paths)
 * share; when set it is the last overlay (the set is then named `…+H3_RESOLUTION`).
 */
function loadDispatch(
  file: string | undefined,
  inline: string | undefined,
  h3Resolution: number | undefined,
  readText: ((path: string) => string) | undefined,
): DispatchParamSet {
  try {
    const set = loadDispatchParamSet({ file, inline }, readText);
    return h3Resolution === undefined || h3Resolution === set.params.h3Resolution
      ? set
      : withDispatchOverrides(set, { h3Resolution }, 'H3_RESOLUTION');
  } catch (error) {
    if (error instanceof DispatchParamsError) throw new ConfigError(`invalid dispatch parameters — ${error.message}`);
    throw error;
  }
}

/** OTLP/HTTP: the base endpoint gets the signal's path appended (`http://collector:4318` → `…/v1/traces`). */
function otlpSignalUrl(base: string | undefined, signal: 'traces'): string | undefined {
  if (base === undefined) return undefined;
  return `${base.replace(/\/+$/, '')}/v1/${signal}`;
}

/**
 * REDIS_ADDR is DeliveryGO's `host:port`. An empty host means this machine, as it does for Go's dialer;
 * `redis://:6379` would not even parse as a URL.
 */
function redisUrlOfAddr(addr: string): string {
  return addr.startsWith(':') ? `redis://localhost${addr}` : `redis://${addr}`;
}

/**
 * HTTP_ADDR is DeliveryGO's `:8000` form (empty host = all interfaces); PORT and HOST win over its parts. With none of
 * them set: 127.0.0.1:8000, this machine only — what a local demo wants; a container sets HOST=0.0.0.0 (Dockerfile).
 */
function splitHttpAddr(addr: string | undefined, port: number | undefined): [string, number] {
  let host = '127.0.0.1';
  let listenPort = 8000;
  if (addr) {
    const at = addr.lastIndexOf(':');
    const h = addr.slice(0, at).replace(/^\[|\]$/g, '');
    host = h === '' ? '0.0.0.0' : h;
    listenPort = Number(addr.slice(at + 1));
    if (listenPort > 65_535) throw new ConfigError('invalid environment — HTTP_ADDR: port must be at most 65535');
  }
  if (port !== undefined) listenPort = port;
  return [host, listenPort];
}

/**
 * `loadConfig` for a command-line tool: a malformed environment is written to `stderr` (one line naming every bad
 * variable) and answers undefined, for the tool to exit 2; anything else still throws.
 */
export function loadCliConfig(
  stderr: (text: string) => void,
  env: Record<string, string | undefined> = process.env,
): Config | undefined {
  try {
    return loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    stderr(`${error.message}\n`);
    return undefined;
  }
}
