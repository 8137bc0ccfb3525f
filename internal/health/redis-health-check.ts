import type { HealthCheck } from './health-check.ts';

/** The one Redis command this check needs; an ioredis client satisfies it. */
export interface Pingable {
  ping(): Promise<string>;
}

/**
 * Redis is up when PING answers PONG. Give it a client with `maxRetriesPerRequest: 0` and a `commandTimeout`, so
 * that while Redis is unreachable the PING fails with the current connection attempt rather than queueing.
 */
export function redisHealthCheck(client: Pingable): HealthCheck {
  return {
    name: 'redis',
    adapter: 'redis',
    check: async () => {
      const reply = await client.ping();
      if (reply !== 'PONG') throw new Error(`PING answered ${JSON.stringify(reply)}`);
    },
  };
}
