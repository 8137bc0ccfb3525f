import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { silentLogger } from '../platform/logger.ts';
import {
  deadLetterTopic,
  encodeEvent,
  type Event,
  type EventBus,
  type KeyPartitioner,
  type MessageHandler,
  type RawPublisher,
  type ReceivedMessage,
  type Subscription,
} from './event-bus.ts';
import { consume, DEAD_LETTER_TYPE, type DeadLetterPayload } from './middleware.ts';
import { scaledMs } from '../../tests/support/time-scale.ts';

/** What a backend can do beyond the common contract; the suite runs the matching extra tests. */
export interface EventBusFeatures {
  /** Messages and committed positions outlive the bus instance, so a restarted process resumes its group. */
  persistent: boolean;
  /** Partitions per topic of the bus under test; sharing among group members is only observable with ≥ 2. */
  partitions: number;
  /** Upper bound for one awaited delivery in this backend (joins and rebalances included). */
  waitMs: number;
}

export type ContractBus = EventBus & RawPublisher & KeyPartitioner;

/**
 * THE event-bus contract, written once and run against every adapter (see `EventBus` for the prose version). Each test
 * uses fresh topics and groups with a random suffix, so tests never see each other's messages, even on a shared broker.
 *
 * @param makeBus builds a new, independent bus instance; for persistent backends two instances share the backend.
 */
export function eventBusContract(
  name: string,
  features: EventBusFeatures,
  makeBus: () => ContractBus | Promise<ContractBus>,
): void {
  describe(`EventBus contract: ${name}`, () => {
    const buses: ContractBus[] = [];
    const subscriptions: Subscription[] = [];

    const newBus = async (): Promise<ContractBus> => {
      const bus = await makeBus();
      buses.push(bus);
      return bus;
    };
    const subscribe = async (...args: Parameters<EventBus['subscribe']>) => {
      const bus = buses[buses.length - 1]!;
      return track(await bus.subscribe(...args));
    };
    const track = (subscription: Subscription): Subscription => {
      subscriptions.push(subscription);
      return subscription;
    };
    const waitMs = features.waitMs;

    afterEach(async () => {
      await Promise.allSettled(subscriptions.splice(0).map((s) => s.close()));
      await Promise.allSettled(buses.splice(0).map((b) => b.close()));
    });

    it('delivers every event to every group, and each event to one member within a group', async () => {
      const bus = await newBus();
      const topic = uniqueName('fanout');
      const group1 = uniqueName('g1');
      const shared = new Inbox<{ member: 'a' | 'b'; message: ReceivedMessage }>();
      const other = new Inbox<ReceivedMessage>();
      await subscribe(topic, group1, async (message) => shared.push({ member: 'a', message }));
      await subscribe(topic, group1, async (message) => shared.push({ member: 'b', message }));
      await subscribe(topic, uniqueName('g2'), collect(other));

      const events = Array.from({ length: 30 }, (_, i) => makeEvent('test.fanout', { i }));
      await Promise.all(events.map((event, i) => bus.publish(topic, `key-${i % 10}`, event, { 'x-seq': String(i) })));

      const all = events.map((e) => e.id);
      await Promise.all([
        shared.until(
          (items) =>
            covers(
              items.map((d) => idOf(d.message)),
              all,
            ),
          'group 1 to receive every event',
          waitMs,
        ),
        other.until((items) => covers(items.map(idOf), all), 'group 2 to receive every event', waitMs),
      ]);
      expect(shared.items.length).toBe(events.length);
      expect(other.items.length).toBe(events.length);
      if (features.partitions >= 2) {
        // 10 keys over ≥ 2 partitions: both members own a partition with messages.
        expect(shared.items.filter((d) => d.member === 'a').length).toBeGreaterThan(0);
        expect(shared.items.filter((d) => d.member === 'b').length).toBeGreaterThan(0);
      }

      // What arrives is what was published: topic, key, headers, and the value byte for byte.
      const first = other.items.find((m) => idOf(m) === events[0]!.id)!;
      expect(first.topic).toBe(topic);
      expect(first.key).toBe('key-0');
      expect(first.headers).toEqual({ 'x-seq': '0' });
      expect(first.value).toBe(encodeEvent(events[0]!));
      expect(typeof first.partition).toBe('number');
      expect(first.offset).toMatch(/^\d+$/);
    });

    it('keeps publish order per key across interleaved keys (200 events, unawaited publishes)', async () => {
      const bus = await newBus();
      const topic = uniqueName('order');
      const inbox = new Inbox<{ key: string; seq: number }>();
      await subscribe(topic, uniqueName('g'), async (message) => {
        inbox.push({ key: message.key, seq: (parse(message).payload as { seq: number }).seq });
      });

      const keys = ['batch-a', 'batch-b', 'rider-7', 'area-881f', 'order-42'];
      const perKey = 40;
      const publishes: Promise<void>[] = [];
      for (let seq = 0; seq < perKey; seq++) {
        for (const key of keys) publishes.push(bus.publish(topic, key, makeEvent('test.ordered', { seq })));
      }
      await Promise.all(publishes);

      await inbox.until((items) => items.length >= keys.length * perKey, 'all 200 events', waitMs);
      for (const key of keys) {
        expect(inbox.items.filter((m) => m.key === key).map((m) => m.seq)).toEqual(range(perKey));
      }
    });

    it('redelivers a message whose handler failed, before any later message of its key', async () => {
      const bus = await newBus();
      const topic = uniqueName('redeliver');
      const x = makeEvent('test.x', {});
      const y = makeEvent('test.y', {});
      const deliveries = new Inbox<string>();
      let failed = false;
      await subscribe(topic, uniqueName('g'), async (message) => {
        const id = idOf(message);
        deliveries.push(id);
        if (id === x.id && !failed) {
          failed = true;
          throw new Error('transient failure');
        }
      });

      await bus.publish(topic, 'k', x);
      await bus.publish(topic, 'k', y);
      await deliveries.until((items) => items.includes(y.id), 'the second event', waitMs);
      expect(deliveries.items).toEqual([x.id, x.id, y.id]);
    });

    it('keeps per-key order when some deliveries fail and are redelivered', async () => {
      const bus = await newBus();
      const topic = uniqueName('order-retry');
      const keys = ['k1', 'k2', 'k3'];
      const perKey = 20;
      const failedOnce = new Set<string>();
      const handled = new Inbox<{ key: string; seq: number }>();
      await subscribe(topic, uniqueName('g'), async (message) => {
        const { seq } = parse(message).payload as { seq: number };
        if (seq % 7 === 3 && !failedOnce.has(idOf(message))) {
          failedOnce.add(idOf(message));
          throw new Error(`first delivery of ${message.key}#${seq} fails`);
        }
        handled.push({ key: message.key, seq });
      });

      await bus.publishAll(
        range(perKey).flatMap((seq) => keys.map((key) => ({ topic, key, event: makeEvent('test.ordered', { seq }) }))),
      );
      await handled.until((items) => items.length >= keys.length * perKey, 'all events handled', waitMs);
      for (const key of keys) {
        expect(handled.items.filter((m) => m.key === key).map((m) => m.seq)).toEqual(range(perKey));
      }
      expect(failedOnce.size).toBe(keys.length * range(perKey).filter((seq) => seq % 7 === 3).length);
    });

    it('hands a message left unacknowledged by a crashed consumer to the next member of its group', async () => {
      const bus = await newBus();
      const topic = uniqueName('crash');
      const group = uniqueName('g');
      const x = makeEvent('test.x', {});
      const crash = gate();
      const seenByA = new Inbox<string>();
      const a = await subscribe(topic, group, async (message) => {
        seenByA.push(idOf(message));
        await crash.promise; // the "process" hangs in its handler ...
        throw new Error('consumer crashed'); // ... and dies without acknowledging
      });

      await bus.publish(topic, 'k', x);
      await seenByA.until((items) => items.includes(x.id), 'the first consumer to get the event', waitMs);

      // close() waits for the in-flight handler.
      let closed = false;
      const closing = a.close().then(() => (closed = true));
      await sleep(50);
      expect(closed).toBe(false);
      crash.open();
      await closing;

      const seenByB = new Inbox<string>();
      await subscribe(topic, group, collectIds(seenByB));
      await seenByB.until((items) => items.includes(x.id), 'the next member to get the unacknowledged event', waitMs);
      expect(seenByB.items[0]).toBe(x.id);
    });

    it('commits what a closing subscription acknowledged, so the group does not see it again', async () => {
      const bus = await newBus();
      const topic = uniqueName('close');
      const group = uniqueName('g');
      const x = makeEvent('test.x', {});
      const y = makeEvent('test.y', {});
      const release = gate();
      const seenByA = new Inbox<string>();
      const a = await subscribe(topic, group, async (message) => {
        seenByA.push(idOf(message));
        await release.promise;
      });
      await bus.publish(topic, 'k', x);
      await seenByA.until((items) => items.includes(x.id), 'the first consumer to get the event', waitMs);

      let closed = false;
      const closing = a.close().then(() => (closed = true));
      await sleep(50);
      expect(closed).toBe(false);
      release.open();
      await closing;

      const seenByB = new Inbox<string>();
      await subscribe(topic, group, collectIds(seenByB));
      await bus.publish(topic, 'k', y);
      await seenByB.until((items) => items.includes(y.id), 'the next member to get the new event', waitMs);
      expect(seenByB.items).toEqual([y.id]);
      expect(seenByA.items).toEqual([x.id]);
    });

    it('loses nothing across a consumer restart, and does not redeliver what was acknowledged', async () => {
      const bus = await newBus();
      await restartScenario(bus, () => Promise.resolve(bus), uniqueName('restart'));
    });

    if (features.persistent) {
      it('resumes a group from its committed position in a new bus instance (process restart)', async () => {
        const first = await newBus();
        await restartScenario(
          first,
          async () => {
            await first.close();
            return newBus();
          },
          uniqueName('process-restart'),
        );
      });
    }

    /** Publishes N, lets a consumer handle some, stops it, and checks a successor handles exactly the rest. */
    async function restartScenario(bus: ContractBus, successorBus: () => Promise<ContractBus>, topic: string) {
      const group = uniqueName('g');
      const events = Array.from({ length: 40 }, (_, i) => makeEvent('test.restart', { i }));
      await bus.publishAll(events.map((event, i) => ({ topic, key: `key-${i % 8}`, event })));

      const stop = gate();
      const first = new Inbox<string>();
      const a = await bus.subscribe(topic, group, async (message) => {
        first.push(idOf(message));
        // Hold every handler from the 15th on until the stop begins, so the restart really happens mid-stream.
        if (first.items.length >= 15) await stop.promise;
      });
      await first.until((items) => items.length >= 15, '15 events before the restart', waitMs);
      const closing = a.close();
      stop.open();
      await closing;
      const handledBefore = new Set(first.items);
      expect(handledBefore.size).toBeLessThan(events.length);

      const next = await successorBus();
      const second = new Inbox<string>();
      track(await next.subscribe(topic, group, collectIds(second)));
      const all = events.map((e) => e.id);
      await second.until(
        (items) => covers([...handledBefore, ...items], all),
        'the restarted consumer to handle the rest',
        waitMs,
      );
      expect(second.items.filter((id) => handledBefore.has(id))).toEqual([]);
      expect(new Set(second.items).size).toBe(second.items.length);
    }

    it('dead-letters a message after maxAttempts with the reason and attempt count, then moves on', async () => {
      const bus = await newBus();
      const topic = uniqueName('dlq');
      const group = uniqueName('g');
      const bad = makeEvent('test.bad', { n: 1 });
      const good = makeEvent('test.good', { n: 2 });
      const attempts = new Map<string, number>();
      const handled = new Inbox<string>();
      const dead = new Inbox<ReceivedMessage>();
      await subscribe(deadLetterTopic(topic), uniqueName('dlq-reader'), collect(dead));
      track(
        await consume(bus, {
          topic,
          group,
          maxAttempts: 3,
          backoffMs: 5,
          logger: silentLogger,
          handler: async (event) => {
            attempts.set(event.id, (attempts.get(event.id) ?? 0) + 1);
            if (event.id === bad.id) throw new Error(`boom ${event.id}`);
            handled.push(event.id);
          },
        }),
      );

      await bus.publish(topic, 'k', bad, { 'x-trace': 't-1' });
      await bus.publish(topic, 'k', good);
      await handled.until((items) => items.includes(good.id), 'the event after the failing one', waitMs);
      await dead.until((items) => items.length >= 1, 'the dead letter', waitMs);

      expect(attempts.get(bad.id)).toBe(3);
      expect(attempts.get(good.id)).toBe(1);
      expect(dead.items).toHaveLength(1);
      const message = dead.items[0]!;
      expect(message.topic).toBe(deadLetterTopic(topic));
      expect(message.key).toBe('k');
      const letter = parse(message) as Event<DeadLetterPayload>;
      expect(letter.id).toBe(bad.id);
      expect(letter.type).toBe(DEAD_LETTER_TYPE);
      expect(letter.payload).toMatchObject({
        originalTopic: topic,
        key: 'k',
        value: encodeEvent(bad),
        headers: { 'x-trace': 't-1' },
        kind: 'exhausted',
        attempts: 3,
      });
      expect(letter.payload.reason).toContain(`boom ${bad.id}`);
      expect(typeof letter.payload.partition).toBe('number');
      expect(letter.payload.offset).toMatch(/^\d+$/);
      expect(Number.isNaN(Date.parse(letter.payload.failedAt))).toBe(false);
    });

    it('waits a dependency outage out within the retry budget; closed mid-budget it gives the message up undead-lettered, and the group gets it again', async () => {
      const bus = await newBus();
      const topic = uniqueName('budget');
      const group = uniqueName('g');
      const event = makeEvent('test.outage', { n: 1 });
      const dead = new Inbox<ReceivedMessage>();
      await subscribe(deadLetterTopic(topic), uniqueName('dlq-reader'), collect(dead));
      const attempts = new Inbox<number>();
      // Redis away (as ioredis says it): transient, so far more attempts than maxAttempts, and no dead letter.
      const outage = () => Object.assign(new Error('Connection is closed.'), { name: 'Error' });
      const first = await consume(bus, {
        topic,
        group,
        maxAttempts: 2,
        backoffMs: 5,
        maxBackoffMs: 20,
        retryBudgetMs: 600_000,
        logger: silentLogger,
        handler: async () => {
          attempts.push(attempts.items.length + 1);
          throw outage();
        },
      });
      track(first);
      await bus.publish(topic, 'k', event);
      await attempts.until((items) => items.length >= 6, 'six attempts during the outage', waitMs);
      // A restart mid-budget: close() must not wait for the budget (minutes) …
      const closing = Date.now();
      await first.close();
      expect(Date.now() - closing).toBeLessThan(waitMs);
      // … and the message, never acknowledged, comes to the group's next consumer, which succeeds (the outage is over).
      const handled = new Inbox<string>();
      track(
        await consume(bus, {
          topic,
          group,
          maxAttempts: 2,
          backoffMs: 5,
          retryBudgetMs: 600_000,
          logger: silentLogger,
          handler: async (e) => handled.push(e.id),
        }),
      );
      await handled.until((items) => items.includes(event.id), 'the redelivered event', waitMs);
      expect(dead.items).toEqual([]);
    });

    it('dead-letters malformed messages (bad JSON, bad envelope, payload failing its schema) without retrying', async () => {
      const bus = await newBus();
      const topic = uniqueName('poison');
      const handled = new Inbox<string>();
      const dead = new Inbox<ReceivedMessage>();
      await subscribe(deadLetterTopic(topic), uniqueName('dlq-reader'), collect(dead));
      let calls = 0;
      track(
        await consume(bus, {
          topic,
          group: uniqueName('g'),
          schema: z.object({ orderId: z.string(), lat: z.number() }),
          maxAttempts: 5,
          backoffMs: 5,
          logger: silentLogger,
          handler: async (event) => {
            calls++;
            expect(typeof event.payload.lat).toBe('number');
            handled.push(event.id);
          },
        }),
      );

      const schemaFailure = makeEvent('order.placed', { orderId: 'o-1', lat: 'north' });
      const good = makeEvent('order.placed', { orderId: 'o-2', lat: 48.1 });
      await bus.publishRaw(topic, 'k', '{"id": "x", not json');
      await bus.publishRaw(topic, 'k', JSON.stringify({ type: 'order.placed', payload: {} }));
      await bus.publish(topic, 'k', schemaFailure);
      await bus.publish(topic, 'k', good);

      await handled.until((items) => items.includes(good.id), 'the well-formed event', waitMs);
      await dead.until((items) => items.length >= 3, 'three dead letters', waitMs);
      expect(calls).toBe(1);
      const letters = dead.items.map((m) => (parse(m) as Event<DeadLetterPayload>).payload);
      expect(letters.map((l) => l.kind)).toEqual(['poison', 'poison', 'poison']);
      expect(letters.map((l) => l.attempts)).toEqual([1, 1, 1]);
      expect(letters[0]!.reason).toMatch(/^invalid JSON/);
      expect(letters[0]!.value).toBe('{"id": "x", not json');
      expect(letters[1]!.reason).toMatch(/^invalid event envelope/);
      expect(letters[1]!.reason).toContain('id');
      expect(letters[1]!.reason).toContain('occurredAt');
      expect(letters[2]!.reason).toMatch(/^invalid payload for order\.placed: lat/);
      expect((parse(dead.items[2]!) as Event).id).toBe(schemaFailure.id);
    });

    it('tells each member the partitions it owns, and a key arrives on the partition partitionOf names, at its owner', async () => {
      const bus = await newBus();
      const topic = uniqueName('assign');
      const group = uniqueName('g');
      const all = Array.from({ length: features.partitions }, (_, p) => p);
      const owned = { a: new Inbox<readonly number[]>(), b: new Inbox<readonly number[]>() };
      const seen = new Inbox<{ member: 'a' | 'b'; message: ReceivedMessage }>();
      const latest = (inbox: Inbox<readonly number[]>) => inbox.items.at(-1) ?? [];
      const a = await subscribe(topic, group, async (message) => seen.push({ member: 'a', message }), {
        onAssignment: (p) => owned.a.push(p),
      });
      await owned.a.until(
        (items) => items.at(-1)?.length === all.length,
        'a lone member to own every partition',
        waitMs,
      );
      await subscribe(topic, group, async (message) => seen.push({ member: 'b', message }), {
        onAssignment: (p) => owned.b.push(p),
      });
      const split = () => {
        const [pa, pb] = [latest(owned.a), latest(owned.b)];
        return pa.length > 0 && pb.length > 0 && [...pa, ...pb].sort().join() === all.join();
      };
      // With one partition only one member can own it; the other is told it owns none.
      if (features.partitions >= 2) {
        await owned.a.until(split, 'the partitions to be split between the two members', waitMs);
        await owned.b.until(split, 'the partitions to be split between the two members', waitMs);
      }

      const keys = Array.from({ length: 12 }, (_, i) => `store-${i}`);
      for (const key of keys) await bus.publish(topic, key, makeEvent('test.assign', { key }));
      await seen.until((items) => items.length >= keys.length, 'every keyed event', waitMs);
      for (const { member, message } of seen.items) {
        expect(message.partition).toBe(await bus.partitionOf(topic, message.key));
        expect(latest(owned[member])).toContain(message.partition);
      }

      // The first member leaves: the other is told it owns everything now.
      await a.close();
      await owned.b.until(
        (items) => items.at(-1)?.length === all.length,
        'the remaining member to own every partition',
        waitMs,
      );
    });

    it('publishAll keeps the array order per topic and key', async () => {
      const bus = await newBus();
      const topics = [uniqueName('all-a'), uniqueName('all-b')];
      const inbox = new Inbox<{ topic: string; key: string; seq: number }>();
      const group = uniqueName('g');
      for (const topic of topics) {
        await subscribe(topic, group, async (m) => {
          inbox.push({ topic: m.topic, key: m.key, seq: (parse(m).payload as { seq: number }).seq });
        });
      }
      const records = range(60).map((seq) => ({
        topic: topics[seq % 2]!,
        key: seq % 3 === 0 ? 'x' : 'y',
        event: makeEvent('test.all', { seq }),
      }));
      await bus.publishAll(records);
      await inbox.until((items) => items.length >= records.length, 'every record', waitMs);
      for (const topic of topics) {
        for (const key of ['x', 'y']) {
          const expected = records.filter((r) => r.topic === topic && r.key === key).map((r) => r.event.payload.seq);
          const got = inbox.items.filter((m) => m.topic === topic && m.key === key).map((m) => m.seq);
          expect(got).toEqual(expected);
        }
      }
    });

    it("starts a new group at the end of the topic with from: 'latest', at the beginning by default", async () => {
      const bus = await newBus();
      const topic = uniqueName('from');
      const before = makeEvent('test.before', {});
      const after = makeEvent('test.after', {});
      await bus.publish(topic, 'k', before);
      const latest = new Inbox<string>();
      const earliest = new Inbox<string>();
      await subscribe(topic, uniqueName('latest'), collectIds(latest), { from: 'latest' });
      await subscribe(topic, uniqueName('earliest'), collectIds(earliest));
      await bus.publish(topic, 'k', after);
      await latest.until((items) => items.includes(after.id), "the 'latest' group to get the new event", waitMs);
      await earliest.until((items) => items.includes(after.id), 'the default group to get both events', waitMs);
      expect(latest.items).toEqual([after.id]);
      expect(earliest.items).toEqual([before.id, after.id]);
    });
  });
}

// ------------------------------------------------------------------------------------------------------------- helpers

/** A topic or group name no other test (or earlier run on the same broker) uses. */
export const uniqueName = (label: string): string => `contract.${label}.${randomUUID().slice(0, 8)}`;

export const makeEvent = <P>(type: string, payload: P): Event<P> => ({
  id: randomUUID(),
  type,
  occurredAt: new Date().toISOString(),
  payload,
});

const parse = (message: ReceivedMessage): Event => JSON.parse(message.value) as Event;
const idOf = (message: ReceivedMessage): string => parse(message).id;
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);
const covers = (have: readonly string[], want: readonly string[]): boolean => {
  const set = new Set(have);
  return want.every((id) => set.has(id));
};
const collect =
  (inbox: Inbox<ReceivedMessage>): MessageHandler =>
  async (message) =>
    inbox.push(message);
const collectIds =
  (inbox: Inbox<string>): MessageHandler =>
  async (message) =>
    inbox.push(idOf(message));

/** A promise the test opens by hand. */
function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** Collected items plus bounded waits on them, woken by each push (no polling). */
export class Inbox<T> {
  readonly items: T[] = [];
  private readonly waiters = new Set<() => void>();

  push(item: T): void {
    this.items.push(item);
    for (const waiter of [...this.waiters]) waiter();
  }

  /** Resolves once `predicate` holds; `budgetMs` is scaled by TEST_TIME_SCALE (tests/support/time-scale.ts). */
  until(predicate: (items: readonly T[]) => boolean, what: string, budgetMs: number): Promise<void> {
    if (predicate(this.items)) return Promise.resolve();
    const timeoutMs = scaledMs(budgetMs);
    return new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!predicate(this.items)) return;
        done();
        resolve();
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what} (got ${this.items.length} item(s))`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
    });
  }
}
