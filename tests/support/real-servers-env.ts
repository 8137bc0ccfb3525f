import { mintToken } from '../../internal/auth/token.ts';
import { loadConfig, type Config } from '../../internal/config/config.ts';
import { testKafkaBrokers } from './kafka.ts';
import { testRedisUrl } from './redis.ts';

/**
 * The operator key of this test process: `realServersEnv` sets it as `OPERATOR_KEY`, so every API composed from that
 * environment registers it at start, and a suite calls that API with `TEST_OPERATOR_AUTH`.
 */
export const TEST_OPERATOR_KEY = mintToken('operator');

/** The `Authorization` header of `TEST_OPERATOR_KEY`. */
export const TEST_OPERATOR_AUTH = { authorization: `Bearer ${TEST_OPERATOR_KEY}` } as const;

export interface Isolation {
  /** A fresh database's URL (createTestDatabase). */
  databaseUrl: string;
  /** This suite's Redis key prefix (createTestRedis); omitted: the default `dg:`. */
  redisPrefix?: string;
  /** This suite's Kafka topic prefix, e.g. `${uniqueTopic('telemetry')}.`. */
  topicPrefix: string;
}

/**
 * The environment a deliverygo process needs to run on the real test servers, isolated from every other suite:
 * its own database, Redis key prefix and Kafka topic prefix. `extra` adds or overrides variables.
 */
export function realServersEnv(isolation: Isolation, extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: isolation.databaseUrl,
    REDIS_URL: testRedisUrl(),
    ...(isolation.redisPrefix ? { REDIS_KEY_PREFIX: isolation.redisPrefix } : {}),
    KAFKA_BROKERS: testKafkaBrokers().join(','),
    KAFKA_TOPIC_PREFIX: isolation.topicPrefix,
    HTTP_ADDR: '127.0.0.1:0',
    LOG_LEVEL: 'silent',
    OPERATOR_KEY: TEST_OPERATOR_KEY,
    ...extra,
  };
}

/** `realServersEnv` parsed by the one config module. */
export const realServersConfig = (isolation: Isolation, extra: Record<string, string> = {}): Config =>
  loadConfig(realServersEnv(isolation, extra));

/** `fetch` as the test operator: `TEST_OPERATOR_AUTH` added to the request's headers (which may override it). */
export function operatorFetch(input: string | URL, init: RequestInit = {}): Promise<Response> {
  return fetch(input, {
    ...init,
    headers: { ...TEST_OPERATOR_AUTH, ...Object.fromEntries(new Headers(init.headers).entries()) },
  });
}
