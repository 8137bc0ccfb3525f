import { describe, expect, it } from 'vitest';
import { ConfigError, loadCliConfig, loadConfig } from './config.ts';

/** DeliveryGO's own example environment (docs of the Go service). */
const deliveryGoEnv = {
  POSTGRES_DSN: 'postgres://deliverygo_user:delivery@localhost:5433/deliverygo?sslmode=disable',
  REDIS_ADDR: 'localhost:6380',
  OSRM_ADDR: 'http://localhost:5000',
  KAFKA_BROKERS: 'localhost:9092',
  HTTP_ADDR: ':8000',
};

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  it("accepts DeliveryGO's variable names", () => {
    const config = loadConfig(deliveryGoEnv);
    expect(config.databaseUrl).toBe(deliveryGoEnv.POSTGRES_DSN);
    expect(config.redisUrl).toBe('redis://localhost:6380');
    expect(config.osrmUrl).toBe('http://localhost:5000');
    expect(config.kafkaBrokers).toEqual(['localhost:9092']);
    expect(config.http).toEqual({ host: '0.0.0.0', port: 8000 });
  });

  it('prefers the deliverygo names when both are set', () => {
    const config = loadConfig({
      ...deliveryGoEnv,
      DATABASE_URL: 'postgresql://app@db:5432/app',
      REDIS_URL: 'rediss://cache:6390/2',
      OSRM_URL: 'https://osrm.internal',
      PORT: '9000',
    });
    expect(config.databaseUrl).toBe('postgresql://app@db:5432/app');
    expect(config.redisUrl).toBe('rediss://cache:6390/2');
    expect(config.osrmUrl).toBe('https://osrm.internal');
    expect(config.http.port).toBe(9000);
  });

  it('splits and trims a broker list', () => {
    expect(loadConfig({ KAFKA_BROKERS: ' k1:9092, k2:9093 ,k3:9094' }).kafkaBrokers).toEqual([
      'k1:9092',
      'k2:9093',
      'k3:9094',
    ]);
  });

  it('reads HTTP_ADDR hosts, including IPv6, and an empty REDIS_ADDR host as this machine', () => {
    expect(loadConfig({ HTTP_ADDR: '127.0.0.1:8080' }).http).toEqual({ host: '127.0.0.1', port: 8080 });
    expect(loadConfig({ HTTP_ADDR: '[::1]:8081' }).http).toEqual({ host: '::1', port: 8081 });
    // DeliveryGO's `:8000` keeps meaning every interface; HOST and PORT override either part.
    expect(loadConfig({ HTTP_ADDR: ':8000' }).http).toEqual({ host: '0.0.0.0', port: 8000 });
    expect(loadConfig({ HTTP_ADDR: ':8000', HOST: '::', PORT: '9001' }).http).toEqual({ host: '::', port: 9001 });
    expect(loadConfig({ HOST: '0.0.0.0' }).http).toEqual({ host: '0.0.0.0', port: 8000 });
    expect(loadConfig({ REDIS_ADDR: ':6379' }).redisUrl).toBe('redis://localhost:6379');
  });

  it('leaves unset (and empty) service variables undefined, which selects the embedded adapters', () => {
    for (const env of [
      {},
      { DATABASE_URL: '', POSTGRES_DSN: '  ', REDIS_ADDR: '', KAFKA_BROKERS: '', OSRM_ADDR: '' },
    ]) {
      const config = loadConfig(env);
      expect(config.databaseUrl).toBeUndefined();
      expect(config.redisUrl).toBeUndefined();
      expect(config.kafkaBrokers).toBeUndefined();
      expect(config.osrmUrl).toBeUndefined();
      expect(config.http).toEqual({ host: '127.0.0.1', port: 8000 });
      expect(config.logLevel).toBe('info');
    }
  });

  it.each([
    ['POSTGRES_DSN', 'mysql://root@localhost/db'],
    ['DATABASE_URL', 'not a url'],
    ['REDIS_ADDR', 'localhost'],
    ['REDIS_URL', 'http://localhost:6379'],
    ['KAFKA_BROKERS', 'localhost'],
    ['KAFKA_BROKERS', ' , '],
    ['OSRM_ADDR', 'localhost:5000'],
    ['HTTP_ADDR', '8000'],
    ['HTTP_ADDR', ':99999'],
    ['HOST', 'http://0.0.0.0'],
    ['PORT', 'eighty'],
    ['H3_RESOLUTION', '16'],
    ['LOG_LEVEL', 'loud'],
    ['API_WORKERS', '0'],
    ['DELIVERY_FIX_MAX_AGE_S', '0'],
    ['DELIVERY_FIX_MAX_AGE_S', 'a minute'],
    ['MAP_TILE_URL', 'tile.openstreetmap.org/{z}/{x}/{y}.png'],
    ['ROUTER', 'osrm-please'],
  ])('rejects %s=%j with a ConfigError naming the variable', (name, value) => {
    const error = configError({ ...deliveryGoEnv, [name]: value });
    expect(error.message).toContain(name);
    for (const other of Object.keys(deliveryGoEnv).filter((n) => n !== name))
      expect(error.message).not.toContain(other);
  });

  it('picks the router automatically unless ROUTER says road or straight-line; ROADS_DIR names the road data', () => {
    expect(loadConfig({}).router).toMatchObject({ mode: 'auto', roadsDir: undefined });
    expect(loadConfig({ ROUTER: 'straight-line' }).router.mode).toBe('straight-line');
    expect(loadConfig({ ROUTER: 'road', ROADS_DIR: ' data/berlin ' }).router).toMatchObject({
      mode: 'road',
      roadsDir: 'data/berlin',
    });
  });

  it('leaves the map tile layer off unless MAP_TILE_URL is set, and keeps the template as given', () => {
    expect(loadConfig({}).map).toEqual({ tileUrl: undefined });
    const template = 'https://tile.openstreetmap.org/{z}/{x}/{y}.png';
    expect(loadConfig({ MAP_TILE_URL: template }).map.tileUrl).toBe(template);
  });

  it('limits requests per operator key, other key, client IP and rider by default; every limit is configurable', () => {
    expect(loadConfig({}).rateLimit).toEqual({
      enabled: true,
      operator: { perSecond: 2_000, burst: 4_000 },
      key: { perSecond: 50, burst: 100 },
      ip: { perSecond: 20, burst: 40 },
      gps: { perSecond: 5, burst: 10 },
      exemptLoopback: true,
      trustProxy: false,
    });
    const custom = loadConfig({
      RATE_LIMIT_ENABLED: 'false',
      RATE_LIMIT_OPERATOR_PER_S: '100',
      RATE_LIMIT_OPERATOR_BURST: '200',
      RATE_LIMIT_KEY_PER_S: '0.5',
      RATE_LIMIT_KEY_BURST: '3',
      RATE_LIMIT_IP_PER_S: '2',
      RATE_LIMIT_IP_BURST: '4',
      RATE_LIMIT_IP_EXEMPT_LOOPBACK: 'no',
      RATE_LIMIT_TRUST_PROXY: '1',
      RATE_LIMIT_GPS_PER_S: '0',
    }).rateLimit;
    expect(custom).toEqual({
      enabled: false,
      operator: { perSecond: 100, burst: 200 },
      key: { perSecond: 0.5, burst: 3 },
      ip: { perSecond: 2, burst: 4 },
      gps: undefined,
      exemptLoopback: false,
      trustProxy: true,
    });
    expect(() => loadConfig({ RATE_LIMIT_KEY_BURST: '0' })).toThrow(/RATE_LIMIT_KEY_BURST/);
    expect(() => loadConfig({ RATE_LIMIT_TRUST_PROXY: 'maybe' })).toThrow(
      /RATE_LIMIT_TRUST_PROXY: must be true or false/,
    );
  });

  it('runs one API process unless API_WORKERS asks for more', () => {
    expect(loadConfig({}).apiWorkers).toBe(1);
    expect(loadConfig({ API_WORKERS: '2' }).apiWorkers).toBe(2);
  });

  it('accepts a drop on a GPS fix at most 60 s old unless DELIVERY_FIX_MAX_AGE_S says otherwise', () => {
    expect(loadConfig({}).delivery).toEqual({ fixMaxAgeMs: 60_000 });
    expect(loadConfig({ DELIVERY_FIX_MAX_AGE_S: '30' }).delivery).toEqual({ fixMaxAgeMs: 30_000 });
  });

  it('takes an optional OPERATOR_KEY of the operator shape, and a token cache of 30 s unless AUTH_CACHE_TTL_MS says', () => {
    expect(loadConfig({}).auth).toEqual({ operatorKey: undefined, cacheTtlMs: 30_000 });
    const key = `dgo_op_${'A'.repeat(43)}`;
    expect(loadConfig({ OPERATOR_KEY: key, AUTH_CACHE_TTL_MS: '500' }).auth).toEqual({
      operatorKey: key,
      cacheTtlMs: 500,
    });
    for (const bad of [`dgo_st_${'A'.repeat(43)}`, 'dgo_op_short', 'secret'])
      expect(() => loadConfig({ OPERATOR_KEY: bad }), bad).toThrow(/OPERATOR_KEY: must be an operator key/);
  });

  it('reads the self-healing settings (rider silence in seconds, on the clock) and refuses nonsense', () => {
    expect(loadConfig({}).selfHealing).toEqual({
      reconcileIntervalMs: 15_000,
      riderSilentAfterMs: 120_000,
      silentCheckIntervalMs: 10_000,
    });
    expect(loadConfig({ RIDER_SILENT_AFTER_S: '300', GEO_RECONCILE_INTERVAL_MS: '5000' }).selfHealing).toMatchObject({
      riderSilentAfterMs: 300_000,
      reconcileIntervalMs: 5_000,
    });
    expect(configError({ RIDER_SILENT_AFTER_S: '0' }).message).toContain('RIDER_SILENT_AFTER_S');
  });

  it('retries transient failures for five minutes by default (BUS_RETRY_BUDGET_MS), others BUS_MAX_ATTEMPTS times', () => {
    expect(loadConfig({}).bus).toEqual({ maxAttempts: 5, backoffMs: 100, maxBackoffMs: 5_000, retryBudgetMs: 300_000 });
    expect(
      loadConfig({ BUS_RETRY_BUDGET_MS: '20000', BUS_MAX_BACKOFF_MS: '50', BUS_BACKOFF_MS: '200' }).bus,
    ).toMatchObject({ retryBudgetMs: 20_000, backoffMs: 200, maxBackoffMs: 200 });
    expect(configError({ BUS_RETRY_BUDGET_MS: '-1' }).message).toContain('BUS_RETRY_BUDGET_MS');
  });

  it('names every malformed variable at once', () => {
    const error = configError({ POSTGRES_DSN: 'nope', KAFKA_BROKERS: 'nope' });
    expect(error.message).toContain('POSTGRES_DSN');
    expect(error.message).toContain('KAFKA_BROKERS');
  });
});

describe('loadCliConfig', () => {
  it('writes a malformed environment to stderr and answers undefined (the tool exits 2)', () => {
    const written: string[] = [];
    expect(loadCliConfig((t) => void written.push(t), { HTTP_ADDR: 'not an address' })).toBeUndefined();
    expect(written.join('')).toMatch(/^invalid environment — .*HTTP_ADDR/);
  });

  it('answers the config of a good environment and writes nothing', () => {
    const written: string[] = [];
    expect(loadCliConfig((t) => void written.push(t), deliveryGoEnv)?.kafkaBrokers).toEqual(['localhost:9092']);
    expect(written).toEqual([]);
  });
});
