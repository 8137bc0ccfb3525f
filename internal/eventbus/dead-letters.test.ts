import { describe, expect, it } from 'vitest';
import { silentLogger } from '../platform/logger.ts';
import { ManualClock } from '../platform/clock.ts';
import { Inbox, makeEvent, uniqueName } from './event-bus.contract.ts';
import { DEAD_LETTER_REPLAYED_TYPE, listDeadLetters, REPLAYED_FROM_HEADER, replayDeadLetters } from './dead-letters.ts';
import { deadLetterTopic, type ReceivedMessage } from './event-bus.ts';
import { MemoryEventBus } from './memory-event-bus.ts';
import { consume } from './middleware.ts';
import { waitFor } from '../../tests/support/wait-for.ts';

describe('dead letters: list and replay (in-memory bus)', () => {
  it('lists a permanently failed event with its reason; replay delivers it once fixed; a second replay sends nothing', async () => {
    const bus = new MemoryEventBus();
    const topic = uniqueName('orders');
    const clock = new ManualClock(Date.parse('2026-01-02T03:04:05Z'));
    let broken = true;
    const handled = new Inbox<ReceivedMessage>();
    await consume(bus, {
      topic,
      group: uniqueName('g'),
      maxAttempts: 3,
      backoffMs: 1,
      logger: silentLogger,
      clock,
      handler: async (event, message) => {
        if (broken && event.type === 'order.placed') {
          throw Object.assign(new Error(`store ${String((event.payload as { store: string }).store)} unknown`), {
            permanent: true,
          });
        }
        handled.push(message);
      },
    });
    const bad = makeEvent('order.placed', { store: 's-1' });
    const good = makeEvent('order.ready', { store: 's-1' });
    await bus.publish(topic, 'store-1', bad, { 'x-trace': 't-9' });
    await bus.publish(topic, 'store-1', good);
    await bus.publishRaw(topic, 'store-2', '{not json');
    await handled.until((items) => items.length === 1, 'the good event', 5_000);

    const [report] = await waitFor(
      async () => {
        const reports = await listDeadLetters(bus, { topic });
        return reports[0]?.letters.length === 2 ? reports : undefined;
      },
      { timeoutMs: 5_000, what: 'two dead letters' },
    );
    expect(report!.dlqTopic).toBe(deadLetterTopic(topic));
    expect(report!.originalTopic).toBe(topic);
    const [letter, poison] = report!.letters;
    expect(letter).toMatchObject({
      eventId: bad.id,
      eventType: 'order.placed',
      replayedAt: undefined,
      letter: { kind: 'permanent', reason: 'store s-1 unknown', attempts: 1, key: 'store-1', originalTopic: topic },
    });
    expect(letter!.letter.failedAt).toBe('2026-01-02T03:04:05.000Z');
    expect(poison!.letter.kind).toBe('poison');
    // Listing every DLQ topic finds it too (the ordinary topic is not a DLQ topic).
    const all = await listDeadLetters(bus);
    expect(all.map((r) => r.dlqTopic)).toEqual([deadLetterTopic(topic)]);

    // A dry run names what would go, and sends nothing.
    const dry = await replayDeadLetters(bus, bus, { topic, dryRun: true });
    expect(dry.replayed.map((l) => l.eventId)).toEqual([bad.id]);
    expect(dry.poison).toHaveLength(1);
    expect((await listDeadLetters(bus, { topic }))[0]!.letters[0]!.replayedAt).toBeUndefined();

    // Fixed: the replay delivers the original bytes, key and headers (plus where it came from).
    broken = false;
    const replayed = await replayDeadLetters(bus, bus, { topic: deadLetterTopic(topic), clock });
    expect(replayed.replayed.map((l) => l.eventId)).toEqual([bad.id]);
    await handled.until((items) => items.length === 2, 'the replayed event', 5_000);
    const again = handled.items[1]!;
    expect(JSON.parse(again.value)).toEqual(bad);
    expect(again.key).toBe('store-1');
    expect(again.headers).toMatchObject({
      'x-trace': 't-9',
      [REPLAYED_FROM_HEADER]: `${deadLetterTopic(topic)}/${letter!.partition}/${letter!.offset}`,
    });
    const listed = (await listDeadLetters(bus, { topic }))[0]!;
    expect(listed.letters[0]!.replayedAt).toBe('2026-01-02T03:04:05.000Z');
    expect(listed.unreadable).toBe(0);
    const markers = (await bus.readAll(deadLetterTopic(topic))).filter(
      (m) => (JSON.parse(m.value) as { type: string }).type === DEAD_LETTER_REPLAYED_TYPE,
    );
    expect(markers).toHaveLength(1);

    // A second replay sends nothing.
    const second = await replayDeadLetters(bus, bus, { topic });
    expect(second.replayed).toEqual([]);
    expect(second.alreadyReplayed.map((l) => l.eventId)).toEqual([bad.id]);
    const topicSize = (await bus.readAll(topic)).length;
    expect(topicSize).toBe(4); // bad, good, poison, and the one replay

    // The poison message goes only when asked for by id (and then simply dead-letters again).
    const byId = await replayDeadLetters(bus, bus, { topic, id: poison!.eventId });
    expect(byId.replayed.map((l) => l.eventId)).toEqual([poison!.eventId]);
    await waitFor(async () => (await listDeadLetters(bus, { topic }))[0]!.letters.length === 3, {
      timeoutMs: 5_000,
      what: 'the poison message dead-lettered again',
    });
    await bus.close();
  });

  it('an unknown --id or a topic without dead letters replays nothing', async () => {
    const bus = new MemoryEventBus();
    const topic = uniqueName('quiet');
    expect(await listDeadLetters(bus, { topic })).toEqual([
      { dlqTopic: deadLetterTopic(topic), originalTopic: topic, letters: [], unreadable: 0 },
    ]);
    expect(await replayDeadLetters(bus, bus, { topic, id: 'nope' })).toEqual({
      replayed: [],
      alreadyReplayed: [],
      poison: [],
    });
    await bus.close();
  });
});
