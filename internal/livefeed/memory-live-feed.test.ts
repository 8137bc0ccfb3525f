import { liveFeedContract } from './live-feed.contract.ts';
import { MemoryLiveFeed } from './memory-live-feed.ts';

liveFeedContract('memory', async () => {
  const feed = new MemoryLiveFeed();
  return { a: feed, b: feed, dispose: () => feed.close() };
});
