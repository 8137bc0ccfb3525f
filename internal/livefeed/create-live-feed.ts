import { Redis } from 'ioredis';
import type { Config } from '../config/config.ts';
import type { Logger } from '../platform/logger.ts';
import type { LiveFeed } from './live-feed.ts';
import { MemoryLiveFeed } from './memory-live-feed.ts';
import { RedisLiveFeed } from './redis-live-feed.ts';

export interface ConfiguredLiveFeed {
  feed: LiveFeed;
  /** Closes the feed and the connections it opened. */
  close(): Promise<void>;
}

/**
 * The live feed `config` selects: Redis pub/sub when REDIS_URL is set (channels under `REDIS_KEY_PREFIX` + `live:`),
 * otherwise in-process. The publishing client connects in the background, as the geo store's does, so the API starts
 * while Redis is away (live updates are best effort).
 */
export function createLiveFeed(config: Config, logger: Logger): ConfiguredLiveFeed {
  if (!config.redisUrl) {
    const feed = new MemoryLiveFeed(logger);
    return { feed, close: () => feed.close() };
  }
  // As the geo store's client: fail fast while Redis is away (live publishing is best effort anyway).
  const redis = new Redis(config.redisUrl, {
    connectTimeout: 2_000,
    maxRetriesPerRequest: 1,
    commandTimeout: config.redisCommandTimeoutMs,
    lazyConnect: true,
  });
  redis.on('error', (error) => logger.debug({ err: error }, 'live feed redis connection error'));
  void redis.connect().catch(() => {});
  const feed = new RedisLiveFeed(redis, { prefix: `${config.redisKeyPrefix}live:`, logger });
  return {
    feed,
    close: async () => {
      await feed.close();
      redis.disconnect();
    },
  };
}
