import type { Redis } from 'ioredis';
import { Coalescer } from '../platform/coalescer.ts';
import { silentLogger, type Logger } from '../platform/logger.ts';
import { frameWriter } from './live-frames.ts';
import { ListenerRegistry } from './listener-registry.ts';
import {
  LiveFeedClosedError,
  type LiveFeed,
  type LiveListener,
  type LiveMessage,
  type Unsubscribe,
} from './live-feed.ts';

/**
 * PUBLISHes ARGV as (channel, message) pairs, in order: one command carries many messages. Tried and measured against
 * this (bench/results/telemetry.md): all messages packed into ONE argument that the script splits — ioredis then spends
 * ~0.4 µs less per message, but Redis, on the same two cores, ~0.7 µs more (Lua string scanning), so the machine
 * does more work in all.
 */
const PUBLISH_MANY_LUA = `for i = 1, #ARGV, 2 do redis.call('PUBLISH', ARGV[i], ARGV[i + 1]) end return #ARGV / 2`;

/** The command PUBLISH_MANY_LUA is defined as on the publisher: EVALSHA, not the script's text with every call. */
const PUBLISH_MANY_COMMAND = 'liveFeedPublishMany';
type ManyPublisher = { [PUBLISH_MANY_COMMAND](...channelsAndFrames: string[]): Promise<number> };

/** Messages per PUBLISH_MANY_LUA call: Redis serves nothing else while a script runs. */
const MESSAGES_PER_CALL = 500;

/** Below this many messages a flush sends plain PUBLISHes (no script). */
const SCRIPT_THRESHOLD = 8;

export interface RedisLiveFeedOptions {
  /** Prepended to every pub/sub channel (`REDIS_KEY_PREFIX` + `live:`), so deployments and test suites share a server. */
  prefix: string;
  logger?: Logger;
}

/**
 * The live feed on Redis pub/sub. Publishing goes through the shared command connection (concurrent publishes are
 * coalesced into one round trip, see `sendAll`); receiving uses ONE dedicated subscriber connection per process, with a plain
 * SUBSCRIBE per channel that has a local listener — so a process only receives the channels its WebSocket clients
 * watch (a pattern subscription would make every process decode every ping). SUBSCRIBE/UNSUBSCRIBE are issued when
 * the first listener arrives / the last one leaves; ioredis re-subscribes them after a reconnect.
 */
export class RedisLiveFeed implements LiveFeed {
  readonly adapter = 'redis' as const;
  private readonly listeners: ListenerRegistry;
  private readonly prefix: string;
  private readonly subscriber: Redis;
  /** Per channel: the SUBSCRIBE/UNSUBSCRIBE in flight, so a quick unsubscribe + subscribe cannot reorder them. */
  private readonly pending = new Map<string, Promise<unknown>>();
  private closed = false;
  /**
   * Publishes made while one pipeline is in flight leave together in the next (in call order, so per-channel order
   * holds): under load one write and one read for many pings' messages instead of one per request; idle, no delay.
   */
  private readonly publishing = new Coalescer<readonly LiveMessage[], void>((batches) => this.sendAll(batches), {
    maxInFlight: 1,
    maxBatch: 1_000,
  });

  /**
   * @param publisher a connected client without `keyPrefix`, used for PUBLISH and not owned (not closed here).
   *   The subscriber connection is `publisher.duplicate()` and is owned.
   */
  constructor(
    private readonly publisher: Redis,
    options: RedisLiveFeedOptions,
  ) {
    const logger = options.logger ?? silentLogger;
    this.prefix = options.prefix;
    this.listeners = new ListenerRegistry((error, channel) =>
      logger.warn({ err: error, channel }, 'live feed listener failed'),
    );
    // No ready check: ioredis sends its INFO probe after connecting, and when SUBSCRIBEs queued meanwhile went first
    // the probe fails ("connection in subscriber mode") and the queued subscriptions are rejected. We connect
    // explicitly before the first SUBSCRIBE instead (see `connected`).
    // No command timeout here (the publisher may have one): a SUBSCRIBE queued across an outage is re-sent by ioredis
    // on reconnect, and one that timed out would leave the channel silently unsubscribed.
    if (!(PUBLISH_MANY_COMMAND in publisher)) {
      publisher.defineCommand(PUBLISH_MANY_COMMAND, { numberOfKeys: 0, lua: PUBLISH_MANY_LUA });
    }
    this.subscriber = publisher.duplicate({ lazyConnect: true, enableReadyCheck: false, commandTimeout: undefined });
    this.subscriber.on('error', (error) => logger.debug({ err: error }, 'live feed subscriber connection error'));
    this.subscriber.on('message', (redisChannel: string, text: string) => {
      if (redisChannel.startsWith(this.prefix)) this.listeners.dispatch(redisChannel.slice(this.prefix.length), text);
    });
  }

  async publish(message: LiveMessage): Promise<void> {
    this.assertOpen();
    await this.publishing.call([message]);
  }

  async publishMany(messages: readonly LiveMessage[]): Promise<void> {
    this.assertOpen();
    if (messages.length === 0) return;
    await this.publishing.call(messages);
  }

  /**
   * Everything queued in one round trip: a lone message as a plain PUBLISH; a few as pipelined PUBLISHes; many (a bulk
   * post's pings, or the single pings of many requests) as PUBLISH_MANY_LUA calls of MESSAGES_PER_CALL — one
   * command instead of hundreds, which is where a client spends its CPU (Redis does the same PUBLISHes either way).
   * Order is kept: call order, then array order.
   */
  private async sendAll(batches: ReadonlyArray<readonly LiveMessage[]>): Promise<undefined[]> {
    const done = batches.map(() => undefined);
    const messages = batches.length === 1 ? batches[0]! : batches.flat();
    if (messages.length === 1) {
      const m = messages[0]!;
      await this.publisher.publish(this.prefix + m.channel, JSON.stringify(m));
      return done;
    }
    const pipeline = this.publisher.pipeline();
    const frame = frameWriter();
    if (messages.length < SCRIPT_THRESHOLD) {
      for (const m of messages) pipeline.publish(this.prefix + m.channel, frame(m));
    } else {
      const scripted = pipeline as unknown as ManyPublisher;
      for (let from = 0; from < messages.length; from += MESSAGES_PER_CALL) {
        const args: string[] = [];
        for (let i = from; i < Math.min(messages.length, from + MESSAGES_PER_CALL); i++) {
          const m = messages[i]!;
          args.push(this.prefix + m.channel, frame(m));
        }
        scripted[PUBLISH_MANY_COMMAND](...args);
      }
    }
    const replies = (await pipeline.exec()) ?? [];
    const failed = replies.find(([error]) => error);
    if (failed) throw failed[0];
    return done;
  }

  async subscribe(channel: string, listener: LiveListener): Promise<Unsubscribe> {
    this.assertOpen();
    if (this.listeners.add(channel, listener)) {
      try {
        await this.connected();
        await this.serialise(channel, () => this.subscriber.subscribe(this.prefix + channel));
      } catch (error) {
        this.listeners.remove(channel, listener);
        throw error;
      }
    } else {
      await this.pending.get(channel); // someone else's SUBSCRIBE may still be in flight
    }
    let done = false;
    return async () => {
      if (done || this.closed) return;
      done = true;
      if (this.listeners.remove(channel, listener)) {
        await this.serialise(channel, () =>
          this.listeners.has(channel) ? undefined : this.subscriber.unsubscribe(this.prefix + channel),
        );
      }
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.listeners.clear();
    await Promise.allSettled(this.pending.values());
    this.subscriber.disconnect();
  }

  private connecting: Promise<void> | undefined;

  /** Connects the subscriber once (a failed attempt is retried by the next subscribe). */
  private connected(): Promise<void> {
    if (this.subscriber.status !== 'wait') return Promise.resolve();
    this.connecting ??= this.subscriber.connect().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  /** Runs `step` after the channel's previous (un)subscribe. */
  private async serialise(channel: string, step: () => Promise<unknown> | undefined): Promise<void> {
    const previous = this.pending.get(channel) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(step);
    this.pending.set(channel, next);
    try {
      await next;
    } finally {
      if (this.pending.get(channel) === next) this.pending.delete(channel);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new LiveFeedClosedError();
  }
}
