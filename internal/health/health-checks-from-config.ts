import type { Kysely } from 'kysely';
import { Redis } from 'ioredis';
import type { Config } from '../config/config.ts';
import { httpHealthCheck } from './http-health-check.ts';
import { inProcessHealthCheck, type HealthCheck } from './health-check.ts';
import { kafkaHealthCheck } from './kafka-health-check.ts';
import { postgresHealthCheck } from './postgres-health-check.ts';
import { redisHealthCheck } from './redis-health-check.ts';

export interface ConfiguredHealthChecks {
  checks: HealthCheck[];
  /** Releases the connections the checks hold (Redis client, Kafka admin). */
  close(): Promise<void>;
}

/**
 * One health check per dependency, matching the adapters `config` selects: postgres, redis, bus, router.
 * Embedded adapters live in this process and are up while it answers.
 */
export function healthChecksFromConfig(
  config: Config,
  // biome-ignore lint/suspicious/noExplicitAny: any schema; the check only runs `select 1`
  deps: { db: Kysely<any>; databaseAdapter: 'postgres' | 'pglite'; routerKind?: 'osrm' | 'road' | 'straight-line' },
): ConfiguredHealthChecks {
  const closers: Array<() => Promise<void>> = [];
  const checks: HealthCheck[] = [postgresHealthCheck(deps.db, deps.databaseAdapter)];

  if (config.redisUrl) {
    const redis = new Redis(config.redisUrl, {
      lazyConnect: true,
      // A PING sent while (re)connecting waits for that attempt and fails with it: no retries on top, no command
      // outliving the health timeout. (Without the offline queue a PING right after start would fail spuriously.)
      maxRetriesPerRequest: 0,
      connectTimeout: 1_500,
      commandTimeout: 1_500,
    });
    // ioredis reconnects by itself; without a listener each failed attempt would print "Unhandled error event".
    redis.on('error', () => {});
    void redis.connect().catch(() => {});
    checks.push(redisHealthCheck(redis));
    closers.push(async () => redis.disconnect());
  } else {
    checks.push(inProcessHealthCheck('redis', 'memory'));
  }

  if (config.kafkaBrokers) {
    const kafka = kafkaHealthCheck(config.kafkaBrokers, config.kafka.clientId);
    checks.push(kafka);
    closers.push(() => kafka.close());
  } else {
    checks.push(inProcessHealthCheck('bus', 'memory'));
  }

  checks.push(
    config.osrmUrl && (deps.routerKind ?? 'osrm') === 'osrm'
      ? httpHealthCheck('router', 'osrm', config.osrmUrl, config.osrm.timeoutMs)
      : inProcessHealthCheck('router', deps.routerKind ?? 'straight-line'),
  );

  return {
    checks,
    close: async () => {
      await Promise.all(closers.map((close) => close()));
    },
  };
}
