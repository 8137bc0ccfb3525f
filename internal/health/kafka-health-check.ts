import { logLevel, type Admin } from 'kafkajs';
import { kafkaClient } from '../eventbus/kafka-client.ts';
import type { HealthCheck } from './health-check.ts';

export interface KafkaHealthCheck extends HealthCheck {
  /** Disconnects the admin client the check keeps between runs. */
  close(): Promise<void>;
}

/**
 * Kafka is up when the cluster answers a metadata request listing at least one broker. The admin connection is
 * kept between checks (connecting costs several round trips) and rebuilt after a failure. Retries are off: the
 * health report wants the current state, not the state after kafkajs' retry schedule.
 */
export function kafkaHealthCheck(brokers: readonly string[], clientId: string, timeoutMs = 1_500): KafkaHealthCheck {
  const kafka = kafkaClient({
    clientId: `${clientId}-health`,
    brokers: [...brokers],
    connectionTimeout: timeoutMs,
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  });
  let admin: Admin | undefined;
  let connecting: Promise<Admin> | undefined;

  const connected = (): Promise<Admin> =>
    (connecting ??= (async () => {
      const a = kafka.admin({ retry: { retries: 0 } });
      await a.connect();
      admin = a;
      return a;
    })());

  const reset = async (): Promise<void> => {
    const a = admin;
    admin = undefined;
    connecting = undefined;
    await a?.disconnect().catch(() => {});
  };

  return {
    name: 'bus',
    adapter: 'kafka',
    check: async () => {
      try {
        const a = await connected();
        const cluster = await a.describeCluster();
        if (cluster.brokers.length === 0) throw new Error('the cluster reports no brokers');
      } catch (error) {
        await reset();
        throw error;
      }
    },
    close: reset,
  };
}
