import { Redis } from 'ioredis';
import { createTestRedis } from '../../tests/support/redis.ts';
import { liveFeedContract } from './live-feed.contract.ts';
import { RedisLiveFeed } from './redis-live-feed.ts';

// Two feeds with their own publisher connections (as two API processes have) under one unique prefix.
liveFeedContract('redis', async () => {
  const r = await createTestRedis();
  const other = new Redis(r.url, { lazyConnect: true });
  await other.connect();
  const prefix = r.key('live:');
  const a = new RedisLiveFeed(r.redis, { prefix });
  const b = new RedisLiveFeed(other, { prefix });
  return {
    a,
    b,
    dispose: async () => {
      await a.close();
      await b.close();
      other.disconnect();
      await r.cleanup();
    },
  };
});
