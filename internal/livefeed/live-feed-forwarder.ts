import type { Registry } from 'prom-client';
import type { z } from 'zod';
import type { EventBus, Subscription } from '../eventbus/event-bus.ts';
import { consume, type BusRetryPolicy } from '../eventbus/middleware.ts';
import { topics, type PayloadOf } from '../events/catalog.ts';
import type { Logger } from '../platform/logger.ts';
import { channels, type LiveFeed, type LiveMessage } from './live-feed.ts';

/** The consumer group of the forwarder: one member per API process; each event is forwarded once. */
export const LIVE_FEED_GROUP = 'live-feed';

export interface LiveFeedForwarderDeps {
  bus: EventBus;
  feed: LiveFeed;
  logger: Logger;
  registry?: Registry;
  consume: BusRetryPolicy;
}

/** The live-feed channels a domain state event goes to: its entity's channel and the all-riders map. */
export function liveMessagesOf(
  type: 'order.updated' | 'batch.updated' | 'rider.updated',
  payload: PayloadOf<'orderUpdated'> | PayloadOf<'batchUpdated'> | PayloadOf<'riderUpdated'>,
  at: string,
): LiveMessage[] {
  const entity =
    type === 'order.updated'
      ? channels.order((payload as PayloadOf<'orderUpdated'>).orderId)
      : type === 'batch.updated'
        ? channels.batch((payload as PayloadOf<'batchUpdated'>).batchId)
        : channels.rider((payload as PayloadOf<'riderUpdated'>).riderId);
  return [entity, channels.map].map((channel) => ({ channel, type, data: payload, at }));
}

/**
 * Forwards the domain state events (published by the services through the outbox → bus) to the live feed, as the
 * consumer group `live-feed`. It runs in the API process — beside the hub, so the embedded mode's in-memory feed
 * works too — and with several API processes the group hands each event to one of them; Redis fans it out to all.
 * It starts at the latest offset: a live view has no use for yesterday's updates, and a new deployment must not
 * replay the whole topic onto everybody's map.
 *
 * Which clients see what beyond that (an order's rider positions) is the hub's job: it follows `order.updated`
 * on the order channels it serves (see ws-hub.ts).
 */
export async function startLiveFeedForwarder(deps: LiveFeedForwarderDeps): Promise<{ stop(): Promise<void> }> {
  const log = deps.logger.child({ component: 'live-feed-forwarder' });
  const subscriptions: Subscription[] = [];
  const forward = <T extends 'orderUpdated' | 'batchUpdated' | 'riderUpdated'>(topic: T) =>
    consume(deps.bus, {
      topic: topics[topic].name,
      group: LIVE_FEED_GROUP,
      schema: topics[topic].schema as unknown as z.ZodType<PayloadOf<T>>,
      handler: async (event) => {
        await deps.feed.publishMany(liveMessagesOf(topics[topic].name, event.payload, event.occurredAt));
      },
      ...deps.consume,
      logger: log,
      registry: deps.registry,
      from: 'latest',
    });
  const started = await Promise.allSettled(
    (['orderUpdated', 'batchUpdated', 'riderUpdated'] as const).map((topic) => forward(topic)),
  );
  for (const s of started) if (s.status === 'fulfilled') subscriptions.push(s.value);
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) {
    await Promise.allSettled(subscriptions.map((s) => s.close()));
    throw failed.reason;
  }
  return { stop: async () => void (await Promise.allSettled(subscriptions.map((s) => s.close()))) };
}
