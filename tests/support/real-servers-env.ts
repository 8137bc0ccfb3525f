import { loadConfig, type Config } from '../../internal/config/config.ts';
import { testKafkaBrokers } from './kafka.ts';
import { testRedisUrl } from './redis.ts';

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
    ...extra,
  };
}

/** `realServersEnv` parsed by the one config module. */
export const realServersConfig = (isolation: Isolation, extra: Record<string, string> = {}): Config =>
  loadConfig(realServersEnv(isolation, extra));
