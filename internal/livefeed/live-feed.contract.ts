/**
 * The one contract suite every LiveFeed adapter passes (see live-feed.ts). `create` answers two feeds that share a
 * backing store — two processes' views of Redis, or the same in-memory feed twice — so "published on one instance,
 * received on the other" is part of the contract.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { LiveFeedClosedError, type LiveFeed, type LiveMessage } from './live-feed.ts';

export interface LiveFeedPair {
  a: LiveFeed;
  b: LiveFeed;
  dispose(): Promise<void>;
}

const msg = (channel: string, n: number, type = 'rider.location'): LiveMessage => ({
  channel,
  type,
  data: { n, nested: { ok: true } },
  at: new Date(1_700_000_000_000 + n).toISOString(),
});

/** Collects what a listener receives and lets a test wait for a count. */
function collector() {
  const got: Array<{ message: LiveMessage; text: string }> = [];
  let wake: (() => void) | undefined;
  return {
    got,
    listener: (message: LiveMessage, text: string) => {
      got.push({ message, text });
      wake?.();
    },
    async waitFor(count: number, timeoutMs = 3_000): Promise<void> {
      const deadline = Date.now() + timeoutMs;
      while (got.length < count) {
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`expected ${count} messages, got ${got.length}`);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, Math.min(left, 50));
        });
      }
    },
  };
}

/** Gives in-flight deliveries time to arrive, to assert that something did NOT arrive. */
const settle = (ms = 150) => new Promise((resolve) => setTimeout(resolve, ms));

export function liveFeedContract(name: string, create: () => Promise<LiveFeedPair>): void {
  describe(`LiveFeed contract: ${name}`, () => {
    let pair: LiveFeedPair | undefined;
    afterEach(async () => {
      await pair?.dispose();
      pair = undefined;
    });
    const open = async () => (pair = await create());

    it('delivers a message published on another instance, as published', async () => {
      const { a, b } = await open();
      const c = collector();
      await b.subscribe('rider:r1', c.listener);
      const sent = msg('rider:r1', 1);
      await a.publish(sent);
      await c.waitFor(1);
      expect(c.got[0]!.message).toEqual(sent);
      expect(JSON.parse(c.got[0]!.text)).toEqual(sent);
    });

    it('keeps channels apart, with no prefix leakage', async () => {
      const { a, b } = await open();
      const one = collector();
      const ten = collector();
      await b.subscribe('rider:1', one.listener);
      await b.subscribe('rider:10', ten.listener);
      await a.publish(msg('rider:10', 10));
      await a.publish(msg('map', 0));
      await ten.waitFor(1);
      await settle();
      expect(one.got).toHaveLength(0);
      expect(ten.got.map((g) => g.message.channel)).toEqual(['rider:10']);
    });

    it('gives every listener of a channel every message, in publish order (publishMany too)', async () => {
      const { a, b } = await open();
      const first = collector();
      const second = collector();
      await b.subscribe('map', first.listener);
      await a.subscribe('map', second.listener);
      await a.publish(msg('map', 1));
      await a.publishMany([msg('map', 2), msg('rider:x', 99), msg('map', 3)]);
      await b.publish(msg('map', 4));
      await first.waitFor(4);
      await second.waitFor(4);
      const ns = (c: ReturnType<typeof collector>) => c.got.map((g) => (g.message.data as { n: number }).n);
      expect(ns(first).slice(0, 3)).toEqual([1, 2, 3]);
      expect(ns(second).slice(0, 3)).toEqual([1, 2, 3]);
      expect(ns(first).sort()).toEqual([1, 2, 3, 4]);
    });

    it('delivers a large publishMany (a bulk post: over a thousand messages, many channels) complete and in order', async () => {
      const { a, b } = await open();
      const map = collector();
      const rider = collector();
      const other = collector();
      await b.subscribe('map', map.listener);
      await b.subscribe('rider:7', rider.listener);
      await b.subscribe('rider:70', other.listener);
      const messages = Array.from({ length: 1_200 }, (_, n) => msg(n % 3 === 0 ? 'map' : `rider:${n % 10}`, n));
      await Promise.all([a.publishMany(messages.slice(0, 600)), a.publishMany(messages.slice(600))]);
      const sent = (channel: string) =>
        messages.filter((m) => m.channel === channel).map((m) => (m.data as { n: number }).n);
      await map.waitFor(sent('map').length);
      await rider.waitFor(sent('rider:7').length);
      await settle();
      const ns = (c: ReturnType<typeof collector>) => c.got.map((g) => (g.message.data as { n: number }).n);
      expect(ns(map)).toEqual(sent('map'));
      expect(ns(rider)).toEqual(sent('rider:7'));
      expect(JSON.parse(rider.got[0]!.text)).toEqual(rider.got[0]!.message);
      expect(other.got).toHaveLength(0);
    });
    it('delivers every frame exactly as JSON.stringify writes it: odd channels, non-ASCII text, data shared by messages', async () => {
      const { a, b } = await open();
      const odd = 'rider:é 12\n x';
      const got = collector();
      const onMap = collector();
      await b.subscribe(odd, got.listener);
      await b.subscribe('map', onMap.listener);
      const pings = Array.from({ length: 12 }, (_, n) => ({ riderId: `r-${n} ✓`, note: 'naïve\u2028\n"q"', n }));
      const messages: LiveMessage[] = [
        ...pings.map((data) => ({ channel: odd, type: 'rider.location', data, at: '2026-01-01T00:00:00.000Z' })),
        { channel: 'map', type: 'rider.locations', data: { locations: pings, count: 12, gone: undefined }, at: 'x' },
        { channel: 'map', type: 'rider.locations', data: { locations: [pings[0], undefined, 3] }, at: 'y' },
      ];
      await a.publishMany(messages);
      await got.waitFor(12);
      await onMap.waitFor(2);
      expect(got.got.map((g) => g.text)).toEqual(messages.slice(0, 12).map((m) => JSON.stringify(m)));
      expect(onMap.got.map((g) => g.text)).toEqual(messages.slice(12).map((m) => JSON.stringify(m)));
    });

    it('stops delivering after unsubscribe, while other listeners of the channel keep receiving', async () => {
      const { a, b } = await open();
      const leaving = collector();
      const staying = collector();
      const unsubscribe = await b.subscribe('order:o1', leaving.listener);
      await b.subscribe('order:o1', staying.listener);
      await a.publish(msg('order:o1', 1, 'order.updated'));
      await leaving.waitFor(1);
      await unsubscribe();
      await unsubscribe(); // idempotent
      await a.publish(msg('order:o1', 2, 'order.updated'));
      await staying.waitFor(2);
      await settle();
      expect(leaving.got).toHaveLength(1);
    });

    it('resubscribing after the last listener left works again', async () => {
      const { a, b } = await open();
      const c1 = collector();
      const unsubscribe = await b.subscribe('batch:b1', c1.listener);
      await unsubscribe();
      const c2 = collector();
      await b.subscribe('batch:b1', c2.listener);
      await a.publish(msg('batch:b1', 5, 'batch.updated'));
      await c2.waitFor(1);
      await settle();
      expect(c1.got).toHaveLength(0);
    });

    it('a throwing listener does not stop delivery to the others', async () => {
      const { a, b } = await open();
      const c = collector();
      await b.subscribe('map', () => {
        throw new Error('boom');
      });
      await b.subscribe('map', c.listener);
      await a.publish(msg('map', 1));
      await c.waitFor(1);
    });

    it('refuses use after close; close is idempotent', async () => {
      const { a } = await open();
      await a.close();
      await a.close();
      await expect(a.publish(msg('map', 1))).rejects.toBeInstanceOf(LiveFeedClosedError);
      await expect(a.subscribe('map', () => {})).rejects.toBeInstanceOf(LiveFeedClosedError);
    });
  });
}
