import { silentLogger, type Logger } from '../platform/logger.ts';
import { ListenerRegistry } from './listener-registry.ts';
import {
  LiveFeedClosedError,
  type LiveFeed,
  type LiveListener,
  type LiveMessage,
  type Unsubscribe,
} from './live-feed.ts';

/**
 * The live feed inside one process (embedded mode, unit tests). Messages are serialised on publish — listeners get a
 * copy, as they would from Redis — and delivered on a microtask, never inside the publisher's call stack.
 */
export class MemoryLiveFeed implements LiveFeed {
  readonly adapter = 'memory' as const;
  private readonly listeners: ListenerRegistry;
  private closed = false;

  constructor(logger: Logger = silentLogger) {
    this.listeners = new ListenerRegistry((error, channel) =>
      logger.warn({ err: error, channel }, 'live feed listener failed'),
    );
  }

  async publish(message: LiveMessage): Promise<void> {
    this.assertOpen();
    const text = JSON.stringify(message);
    queueMicrotask(() => this.listeners.dispatch(message.channel, text));
  }

  async publishMany(messages: readonly LiveMessage[]): Promise<void> {
    this.assertOpen();
    const texts = messages.map((m) => [m.channel, JSON.stringify(m)] as const);
    queueMicrotask(() => {
      for (const [channel, text] of texts) this.listeners.dispatch(channel, text);
    });
  }

  async subscribe(channel: string, listener: LiveListener): Promise<Unsubscribe> {
    this.assertOpen();
    this.listeners.add(channel, listener);
    return async () => {
      this.listeners.remove(channel, listener);
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listeners.clear();
  }

  private assertOpen(): void {
    if (this.closed) throw new LiveFeedClosedError();
  }
}
